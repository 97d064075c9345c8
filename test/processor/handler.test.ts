import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createPreludeSigner, type ServedJwks } from "../../local/prelude-signer.js";
import {
  APP_ID,
  batchBody,
  migrationFailure,
  sqsEvent,
  sqsRecord,
  webhookMessage,
} from "../helpers/prelude-events.js";
import { createTestTables, localDynamoDb } from "../helpers/test-tables.js";

const snsMock = mockClient(SNSClient);
const signer = createPreludeSigner();
let jwks: ServedJwks;
let tables: { events: string; state: string };
let handler: typeof import("../../lambdas/processor/handler.js").handler;
let logged = "";
const context = { awsRequestId: "lambda-request-1", functionName: "processor" } as Context;

beforeAll(async () => {
  jwks = await signer.serveJwks();
  tables = await createTestTables();
  Object.assign(process.env, {
    EVENTS_TABLE_NAME: tables.events,
    STATE_TABLE_NAME: tables.state,
    PAGING_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:hookwatch-pages",
    PRELUDE_APP_IDS: APP_ID,
    JWKS_URL_TEMPLATE: jwks.url,
    POWERTOOLS_LOG_LEVEL: "INFO",
  });
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, "write").mockImplementation((chunk) => {
      logged += String(chunk);
      return true;
    });
  }
  snsMock.on(PublishCommand).resolves({ MessageId: "m-1" });
  ({ handler } = await import("../../lambdas/processor/handler.js"));
  // Throttle every write of one poison event, as DynamoDB would under a hot partition.
  const { dynamodb } = await import("../../lambdas/runtime/aws-clients.js");
  dynamodb.middlewareStack.add(
    (next, ctx) => async (args) => {
      const item = (args.input as { Item?: Record<string, { S?: string }> }).Item;
      if (ctx.commandName === "PutItemCommand" && item?.dispatch_id?.S === "throttled-event") {
        const { ProvisionedThroughputExceededException } = await import("@aws-sdk/client-dynamodb");
        throw new ProvisionedThroughputExceededException({
          message: "Rate exceeded (injected)",
          $metadata: {},
        });
      }
      return next(args);
    },
    { step: "initialize", name: "injectThrottling" },
  );
});
afterAll(async () => {
  vi.restoreAllMocks();
  snsMock.restore();
  await jwks.close();
});

beforeEach(() => {
  logged = "";
});

/** The processor's log lines (Powertools writes one JSON object per line). */
const logLines = () =>
  logged
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

const signed = (events: unknown[]) => {
  const body = batchBody(events);
  return webhookMessage(body, { signature: signer.sign(body), signatureKeyId: signer.kid });
};

describe("processor handler", () => {
  it("fails only the message whose DynamoDB write failed, so SQS redelivers just that one", async () => {
    const healthy = migrationFailure({ reason: "invalid_response" });
    const records = [
      sqsRecord(signed([healthy]), "msg-ok"),
      sqsRecord(signed([migrationFailure({ dispatch_id: "throttled-event" })]), "msg-throttled"),
    ];

    const response = await handler(sqsEvent(records), context);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: "msg-throttled" }] });
    const { Item } = await localDynamoDb().send(
      new GetItemCommand({
        TableName: tables.events,
        Key: { dispatch_id: { S: healthy.dispatch_id as string } },
      }),
    );
    expect(Item?.reason?.S).toBe("invalid_response");
  });

  it("does not retry a forged or unparseable message: it is recorded and the batch succeeds", async () => {
    const body = batchBody([migrationFailure()]);
    const forged = webhookMessage(body, {
      signature: createPreludeSigner().sign(body),
      signatureKeyId: signer.kid,
    });
    const garbage = signed([]);

    const response = await handler(
      sqsEvent([sqsRecord(forged, "msg-forged"), sqsRecord({ ...garbage, body: "%%%" }, "msg-garbage")]),
      context,
    );

    expect(response).toEqual({ batchItemFailures: [] });
  });

  it("answers each of two invocations running at once in one process with its own failures", async () => {
    // Lambda runs one invocation per process, but `npm start` and the soak run several in one: the batch
    // state must belong to the invocation, or one invocation's answer carries the other's records.
    const throttled = sqsRecord(signed([migrationFailure({ dispatch_id: "throttled-event" })]), "msg-slow");
    const healthy = [1, 2, 3].map((n) => sqsRecord(signed([migrationFailure()]), `msg-healthy-${n}`));

    const [first, second] = await Promise.all([
      handler(sqsEvent([throttled, sqsRecord(signed([migrationFailure()]), "msg-beside")]), context),
      handler(sqsEvent(healthy), context),
    ]);

    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: "msg-slow" }] });
    expect(second).toEqual({ batchItemFailures: [] });
  });

  it("publishes the page to the configured topic when a burst crosses the threshold", async () => {
    const now = Date.now();
    const events = Array.from({ length: 5 }, (_, index) =>
      migrationFailure({ occurred_at: new Date(now - 10_000 + index * 1000).toISOString() }),
    );

    await handler(sqsEvent([sqsRecord(signed(events))]), context);

    const publishes = snsMock.commandCalls(PublishCommand);
    expect(publishes).toHaveLength(1);
    expect(publishes[0]?.args[0].input).toMatchObject({
      TopicArn: "arn:aws:sns:us-east-1:123456789012:hookwatch-pages",
      MessageStructure: "json",
      MessageAttributes: { event_action: { DataType: "String", StringValue: "trigger" } },
    });
  });
});

describe("processor logs", () => {
  it("logs a failed message once, at error level, with its cause, message id, request id and receive count", async () => {
    const message = signed([migrationFailure({ dispatch_id: "throttled-event" })]);
    const record = sqsRecord(message, "msg-throttled-again");
    record.attributes.ApproximateReceiveCount = "3";

    await handler(sqsEvent([sqsRecord(signed([migrationFailure()]), "msg-fine"), record]), context);

    const errors = logLines().filter((line) => line.level === "ERROR");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      message_id: "msg-throttled-again",
      request_id: message.requestId,
      receive_count: 3,
      error: { name: "ProvisionedThroughputExceededException", message: "Rate exceeded (injected)" },
    });
  });

  it("logs each record's own error when the whole batch fails", async () => {
    const records = ["msg-a", "msg-b"].map((id) =>
      sqsRecord(signed([migrationFailure({ dispatch_id: "throttled-event" })]), id),
    );

    await expect(handler(sqsEvent(records), context)).rejects.toThrow("All records failed processing");

    const errors = logLines().filter((line) => line.level === "ERROR");
    expect(errors.map((line) => line.message_id)).toEqual(["msg-a", "msg-b"]);
    for (const line of errors) {
      expect(line.error).toMatchObject({ name: "ProvisionedThroughputExceededException" });
    }
  });

  it("summarizes a processed message as counts by outcome, without listing its events", async () => {
    const event = migrationFailure({ reason: "invalid_response" });
    const record = sqsRecord(
      signed([event, { ...event }, { type: "migration.hook_failed" }, migrationFailure()]),
    );

    await handler(sqsEvent([record]), context);

    const processed = logLines().filter((line) => line.message === "message processed");
    expect(processed).toHaveLength(1);
    expect(processed[0]).toMatchObject({
      level: "INFO",
      message_id: record.messageId,
      outcomes: { stored: 2, duplicate: 1, invalid: 1 },
    });
    expect(JSON.stringify(processed[0])).not.toContain(event.dispatch_id as string);
  });
});
