import type { Agent } from "node:http";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { AWS_CLIENT_CONFIG } from "../../lambdas/runtime/aws-clients.js";
import { shareSocketsLikeContainers } from "../../local/container-sockets.js";

describe("a handler client shared by concurrent local invocations", () => {
  it("gets the sockets of as many containers, and still answers", async () => {
    const client = new DynamoDBClient({
      ...AWS_CLIENT_CONFIG,
      endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB,
    });
    const handler = client.config.requestHandler as unknown as {
      configProvider: Promise<{ httpAgent?: Agent; httpAgentProvider: () => Promise<Agent> }>;
    };
    const before = await (await handler.configProvider).httpAgentProvider();

    const sockets = await shareSocketsLikeContainers(client, 5);
    await client.send(new ListTablesCommand({}));

    const after = (await handler.configProvider).httpAgent;
    expect(sockets).toBe(before.maxSockets * 5);
    expect(after?.maxSockets).toBe(sockets);
    expect(after).not.toBe(before);
    client.destroy();
  });

  it("is left as it is for one invocation at a time", async () => {
    const client = new DynamoDBClient(AWS_CLIENT_CONFIG);
    const handler = client.config.requestHandler as unknown as {
      configProvider: Promise<{ httpAgent?: Agent; httpAgentProvider: () => Promise<Agent> }>;
    };

    expect(await shareSocketsLikeContainers(client, 1)).toBeUndefined();
    expect((await handler.configProvider).httpAgent).toBeUndefined();
    client.destroy();
  });
});
