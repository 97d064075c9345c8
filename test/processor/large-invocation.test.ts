import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPreludeSigner, type ServedJwks } from "../../local/prelude-signer.js";
import {
  APP_ID,
  at,
  batchBody,
  migrationFailure,
  sqsEvent,
  sqsRecord,
  webhookMessage,
} from "../helpers/prelude-events.js";
import { createTestTables, localDynamoDb } from "../helpers/test-tables.js";

const MESSAGES = 10;
const EVENTS_PER_MESSAGE = 1_000;
// Generous: the machine is shared and slow at times; what the test proves is that nothing is retried.
const TEST_TIMEOUT_MS = 180_000;

const snsMock = mockClient(SNSClient);
const signer = createPreludeSigner();
let jwks: ServedJwks;
let tables: { events: string; state: string };
let handler: typeof import("../../lambdas/processor/handler.js").handler;
const context = { awsRequestId: "lambda-large-1", functionName: "processor" } as Context;

beforeAll(async () => {
  jwks = await signer.serveJwks();
  tables = await createTestTables();
  Object.assign(process.env, {
    EVENTS_TABLE_NAME: tables.events,
    STATE_TABLE_NAME: tables.state,
    PAGING_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:hookwatch-pages",
    PRELUDE_APP_IDS: APP_ID,
    JWKS_URL_TEMPLATE: jwks.url,
  });
  snsMock.on(PublishCommand).resolves({ MessageId: "m-1" });
  // The handler's own DynamoDB client, with the stack's socket pool and timeouts, against DynamoDB Local.
  ({ handler } = await import("../../lambdas/processor/handler.js"));
});
afterAll(async () => {
  snsMock.restore();
  await jwks.close();
});

/** Every stored event key of the events table. */
async function storedKeys(): Promise<Set<string>> {
  const keys = new Set<string>();
  let start: Record<string, import("@aws-sdk/client-dynamodb").AttributeValue> | undefined;
  do {
    const page = await localDynamoDb().send(
      new ScanCommand({
        TableName: tables.events,
        ProjectionExpression: "dispatch_id",
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) if (item.dispatch_id?.S) keys.add(item.dispatch_id.S);
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return keys;
}

describe("one processor invocation of a large outage", () => {
  it(
    `stores all ${MESSAGES} messages of ${EVENTS_PER_MESSAGE} events each, with no message retried`,
    async () => {
      const messages = Array.from({ length: MESSAGES }, (_, message) => {
        const events = Array.from({ length: EVENTS_PER_MESSAGE }, (_, index) =>
          migrationFailure({ occurred_at: at(message * 60 + index * 0.05) }),
        );
        const body = batchBody(events);
        const record = sqsRecord(
          webhookMessage(body, { signature: signer.sign(body), signatureKeyId: signer.kid }),
          `msg-${message}`,
        );
        return { record, keys: events.map((event) => event.dispatch_id as string) };
      });

      const response = await handler(sqsEvent(messages.map(({ record }) => record)), context);

      expect(response).toEqual({ batchItemFailures: [] });
      const stored = await storedKeys();
      const missing = messages.flatMap(({ keys }) => keys).filter((key) => !stored.has(key));
      expect(missing).toEqual([]);
      expect(stored.size).toBe(MESSAGES * EVENTS_PER_MESSAGE);
    },
    TEST_TIMEOUT_MS,
  );
});
