import {
  DynamoDBClient,
  ListTablesCommand,
  ProvisionedThroughputExceededException,
} from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROCESSOR_BATCH_SIZE } from "../../infra/processor-functions.js";
import { DYNAMODB_REQUESTS_IN_FLIGHT, processMessage } from "../../lambdas/processor/process-message.js";
import { AWS_CLIENT_CONFIG } from "../../lambdas/runtime/aws-clients.js";
import { createConcurrencyLimit } from "../../lambdas/runtime/concurrency-limit.js";
import { MAX_SOCKETS } from "../../lambdas/runtime/http-limits.js";
import { batchBody, migrationFailure } from "../helpers/prelude-events.js";
import { createHarness, type Harness } from "../helpers/processor-harness.js";

let harness: Harness;
const clients: DynamoDBClient[] = [];

beforeAll(async () => {
  harness = await createHarness();
});
afterAll(async () => {
  for (const client of clients) client.destroy();
  await harness.close();
});

/**
 * A client of DynamoDB Local, with the Lambdas' configuration, that counts the requests it has in flight
 * and may fail the writes of chosen event keys as a throttled DynamoDB would.
 */
function watchedClient(throttled: ReadonlySet<string> = new Set()) {
  const client = new DynamoDBClient({
    ...AWS_CLIENT_CONFIG,
    endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB,
  });
  clients.push(client);
  const seen = { sent: 0, inFlight: 0, peak: 0 };
  client.middlewareStack.add(
    (next) => async (args) => {
      seen.sent++;
      seen.inFlight++;
      seen.peak = Math.max(seen.peak, seen.inFlight);
      try {
        const key = (args.input as { Item?: { dispatch_id?: { S?: string } } }).Item?.dispatch_id?.S;
        if (key !== undefined && throttled.has(key)) {
          throw new ProvisionedThroughputExceededException({
            message: "Rate exceeded (injected)",
            $metadata: {},
          });
        }
        return await next(args);
      } finally {
        seen.inFlight--;
      }
    },
    { step: "initialize", name: "watchInFlight" },
  );
  return { client, seen };
}

/** The harness's dependencies with storage and intake records written through `client`. */
function depsWith(client: DynamoDBClient, limit: number) {
  return harness.deps({
    store: { ...harness.burstTables, client },
    intake: {
      client,
      stateTableName: harness.tables.state,
      quarantineRetentionDays: 30,
      rejectedRetentionDays: 7,
    },
    dynamodbLimit: createConcurrencyLimit(limit),
  });
}

describe("DynamoDB requests in flight during one invocation", () => {
  it("stay within the invocation's limit across all messages of the batch", async () => {
    const { client, seen } = watchedClient();
    const deps = depsWith(client, 4);
    const messages = Array.from({ length: 3 }, () => {
      const events: unknown[] = Array.from({ length: 60 }, () =>
        migrationFailure({ reason: "invalid_response" }),
      );
      // A repeat and an invalid element take the same road as the rest.
      events.push({ ...(events[0] as object) }, { type: "migration.hook_failed" });
      return harness.signedMessage(batchBody(events));
    });

    const outcomes = await Promise.all(messages.map((message) => processMessage(deps, message)));

    expect(seen.peak).toBeLessThanOrEqual(4);
    expect(seen.peak).toBeGreaterThan(1);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ kind: "processed" });
      const events = outcome.kind === "processed" ? outcome.events : [];
      expect(events.filter((event) => event.outcome === "stored")).toHaveLength(60);
      expect(events.at(-2)).toMatchObject({ outcome: "duplicate" });
      expect(events.at(-1)).toMatchObject({ outcome: "invalid" });
    }
  });

  it("keep the first occurrence of a key within a message, whatever the limit", async () => {
    const { client } = watchedClient();
    const first = migrationFailure({ reason: "request_failed", occurred_at: "2025-01-01T00:00:00Z" });
    const clash = { ...first, reason: "invalid_status_code" };
    const body = batchBody([
      first,
      ...Array.from({ length: 20 }, () => migrationFailure()),
      clash,
      { ...first },
    ]);

    const outcome = await processMessage(depsWith(client, 3), harness.signedMessage(body));

    expect(outcome).toMatchObject({ kind: "processed" });
    const events = outcome.kind === "processed" ? outcome.events : [];
    expect(events[0]).toMatchObject({ outcome: "stored" });
    expect(events.at(-2)).toMatchObject({ outcome: "conflict" });
    expect(events.at(-1)).toMatchObject({ outcome: "duplicate" });
    expect(await harness.getEvent(first.dispatch_id as string)).toMatchObject({ reason: "request_failed" });
  });

  it("end with the message when one of its writes fails: its waiting events are not written", async () => {
    const events = Array.from({ length: 50 }, () => migrationFailure({ reason: "invalid_response" }));
    const { client, seen } = watchedClient(new Set([events[0]?.dispatch_id as string]));

    const processing = processMessage(depsWith(client, 1), harness.signedMessage(batchBody(events)));

    await expect(processing).rejects.toMatchObject({ name: "ProvisionedThroughputExceededException" });
    expect(seen.sent).toBe(1);
    expect(seen.inFlight).toBe(0);
    expect(await harness.getEvent(events[1]?.dispatch_id as string)).toBeUndefined();
  });

  it("leave a socket of the client's pool for every request the processor can have in flight", async () => {
    const { client } = watchedClient();
    await client.send(new ListTablesCommand({ Limit: 1 }));
    const agent = (
      client.config.requestHandler as { httpHandlerConfigs(): { httpAgent?: { maxSockets?: number } } }
    ).httpHandlerConfigs().httpAgent;

    expect(agent?.maxSockets).toBe(MAX_SOCKETS);
    // Besides its events, each message has at most 2 requests of its own in flight (burst reads).
    expect(DYNAMODB_REQUESTS_IN_FLIGHT + 2 * PROCESSOR_BATCH_SIZE).toBeLessThanOrEqual(MAX_SOCKETS);
  });
});
