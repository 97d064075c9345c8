import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AWS_CLIENT_CONFIG } from "../../lambdas/runtime/aws-clients.js";
import { AWS_HTTP_TIMEOUTS } from "../../lambdas/runtime/http-limits.js";
import { createTestTables } from "../helpers/test-tables.js";

/**
 * A DynamoDB endpoint whose first `hang` requests never get an answer (a connection that went quiet),
 * and whose later requests are forwarded to DynamoDB Local.
 */
async function hangingEndpoint(hang: number, forwardTo: string) {
  let requests = 0;
  const held: ServerResponse[] = [];
  const target = new URL(forwardTo);
  const server: Server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    requests += 1;
    if (requests <= hang) {
      held.push(outgoing);
      incoming.resume();
      return;
    }
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: target.host },
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const response of held) response.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const dynamodbLocal = process.env.AWS_ENDPOINT_URL_DYNAMODB as string;
let table: string;
let endpoint: Awaited<ReturnType<typeof hangingEndpoint>> | undefined;
const clients: DynamoDBClient[] = [];

function clientFor(url: string, maxAttempts?: number): DynamoDBClient {
  const client = new DynamoDBClient({
    ...AWS_CLIENT_CONFIG,
    endpoint: url,
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
  });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  table = (await createTestTables()).events;
});

afterEach(async () => {
  await endpoint?.close();
  endpoint = undefined;
});

afterAll(() => {
  for (const client of clients) client.destroy();
});

describe("the Lambdas' SDK clients on a connection that hangs", () => {
  it(
    "give up on an attempt that gets no answer with a TimeoutError, instead of waiting for the Lambda timeout",
    async () => {
      endpoint = await hangingEndpoint(Number.POSITIVE_INFINITY, dynamodbLocal);
      const client = clientFor(endpoint.url, 1);

      const attempt = client.send(
        new GetItemCommand({ TableName: table, Key: { dispatch_id: { S: "never-answered" } } }),
      );

      await expect(attempt).rejects.toMatchObject({ name: "TimeoutError" });
      expect(endpoint.requests()).toBe(1);
    },
    AWS_HTTP_TIMEOUTS.requestTimeout * 3,
  );

  it(
    "retry a timed-out attempt, so a write whose first attempt hangs is stored by the second",
    async () => {
      endpoint = await hangingEndpoint(1, dynamodbLocal);
      const client = clientFor(endpoint.url);
      const key = { dispatch_id: { S: `timeout-retried-${Date.now()}` } };

      await client.send(new PutItemCommand({ TableName: table, Item: { ...key, note: { S: "stored" } } }));

      expect(endpoint.requests()).toBe(2);
      const { Item } = await clientFor(dynamodbLocal).send(
        new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }),
      );
      expect(Item?.note?.S).toBe("stored");
    },
    AWS_HTTP_TIMEOUTS.requestTimeout * 3,
  );
});
