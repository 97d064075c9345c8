import { type Message, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { WEBHOOK_CONTENT_TYPES } from "../../infra/webhook-ingress.js";
import { answerChallenge } from "../../lambdas/challenge/answer-challenge.js";
import { WEBHOOK_ATTRIBUTES, WEBHOOK_HEADERS } from "../../lambdas/webhook/webhook-message.js";
import { countMessages, messageSizeBytes, startSqsStandIn } from "../../local/sqs-stand-in.js";
import { readStackSettings } from "../../local/stack-settings.js";
import { type CfnTemplate, synthesizeStackTemplate } from "../../local/stack-template.js";
import { startWebhookEndpoint, type WebhookEndpoint } from "../../local/webhook-endpoint.js";
import { batchBody, migrationFailure, wrapped } from "../helpers/prelude-events.js";

// The local endpoint and SQS stand-in, both configured from the synthesized stack, as `npm start` runs them.
interface Door {
  readonly sqs: Awaited<ReturnType<typeof startSqsStandIn>>;
  readonly endpoint: WebhookEndpoint;
}

const SIGNATURE = "rsassa-pss-sha256=c2lnbmF0dXJl";
const running: Door[] = [];
let template: CfnTemplate;

beforeAll(() => {
  process.env.CDK_VALIDATION = "false";
  template = synthesizeStackTemplate();
});

afterEach(async () => {
  for (const door of running.splice(0)) {
    await door.endpoint.close();
    await door.sqs.close();
  }
});

async function openDoor(stack: CfnTemplate = template): Promise<Door> {
  const settings = readStackSettings(stack);
  const sqs = await startSqsStandIn({ queue: settings.queue, deadLetterQueue: settings.deadLetterQueue });
  const endpoint = await startWebhookEndpoint({
    port: 0,
    path: settings.webhookPost.path,
    post: settings.webhookPost,
    sendMessage: (parameters) => sqs.sendMessage(parameters),
    answerChallenge: (query) => answerChallenge(query, "token", settings.challengeAppIds),
    log: () => {},
  });
  const door = { sqs, endpoint };
  running.push(door);
  return door;
}

function post(door: Door, body: string, contentType = "application/json") {
  return fetch(door.endpoint.url, {
    method: "POST",
    headers: { "content-type": contentType, [WEBHOOK_HEADERS.signature]: SIGNATURE },
    body,
  });
}

async function receiveOne(door: Door): Promise<Message | undefined> {
  const { Messages = [] } = await door.sqs.client.send(
    new ReceiveMessageCommand({ QueueUrl: door.sqs.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
  );
  expect(Messages.length).toBeLessThanOrEqual(1);
  return Messages[0];
}

/** The bytes the endpoint adds as attributes to a POST carrying SIGNATURE (request id and arrival time included). */
function attributeBytes(): number {
  const attribute = (value: string) => ({ DataType: "String", StringValue: value });
  return messageSizeBytes({
    MessageBody: "",
    MessageAttributes: {
      [WEBHOOK_ATTRIBUTES.requestId]: attribute("00000000-0000-0000-0000-000000000000"),
      [WEBHOOK_ATTRIBUTES.receivedAt]: attribute(String(Date.now())),
      [WEBHOOK_ATTRIBUTES.signature]: attribute(SIGNATURE),
    },
  });
}

/** A JSON object of exactly `bytes` UTF-8 bytes, padded with `filler` (one or more bytes per character). */
function bodyOfSize(bytes: number, filler = "x"): string {
  const head = '{"app_id":"app_test","events":[],"padding":"';
  const tail = '"}';
  const room = bytes - Buffer.byteLength(head + tail);
  const fillerBytes = Buffer.byteLength(filler);
  const body = head + filler.repeat(Math.floor(room / fillerBytes)) + "x".repeat(room % fillerBytes) + tail;
  expect(Buffer.byteLength(body)).toBe(bytes);
  return body;
}

describe("the largest webhook the stack queues, enforced locally as SQS enforces it", () => {
  it("queues a body that fills the queue's maximum message size with the attributes, byte for byte", async () => {
    const door = await openDoor();
    const body = bodyOfSize(door.sqs.maximumMessageSizeBytes - attributeBytes());

    const response = await post(door, body);

    expect(response.status).toBe(200);
    expect((await receiveOne(door))?.Body).toBe(body);
  });

  it("answers 400, as the gateway does when SQS refuses a message, for one byte more, and queues nothing", async () => {
    const door = await openDoor();
    const body = bodyOfSize(door.sqs.maximumMessageSizeBytes - attributeBytes() + 1);

    const response = await post(door, body);

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      message: expect.stringContaining("larger than SQS accepts"),
    });
    expect(await countMessages(door.sqs.client, door.sqs.queueUrl)).toBe(0);
  });

  it("counts UTF-8 bytes, as SQS does, not characters", async () => {
    const door = await openDoor();
    const body = bodyOfSize(door.sqs.maximumMessageSizeBytes - attributeBytes() + 3, "€");
    expect(body.length).toBeLessThan(door.sqs.maximumMessageSizeBytes);

    const response = await post(door, body);

    expect(response.status).toBe(400);
    expect(await countMessages(door.sqs.client, door.sqs.queueUrl)).toBe(0);
  });

  it("takes the maximum from the stack: a queue left at SQS's default refuses a 300 KB batch of 1,200 events", async () => {
    const withoutMaximum = structuredClone(template);
    for (const resource of Object.values(withoutMaximum.Resources)) {
      if (resource.Type === "AWS::SQS::Queue") delete resource.Properties?.MaximumMessageSize;
    }
    const door = await openDoor(withoutMaximum);
    const events = Array.from({ length: 1_200 }, () => wrapped(migrationFailure()));
    const body = batchBody(events);
    expect(Buffer.byteLength(body)).toBeGreaterThan(262_144);

    const response = await post(door, body);

    expect(response.status).toBe(400);
    expect(await countMessages(door.sqs.client, door.sqs.queueUrl)).toBe(0);
  });
});

describe("content types as Prelude may send them", () => {
  const body = batchBody([wrapped(migrationFailure({ reason: "request_failed — café" }))]);

  it.each(["application/json", "application/json; charset=utf-8", "Application/JSON"])(
    "queues a POST of %s byte for byte",
    async (contentType) => {
      const door = await openDoor();

      const response = await post(door, body, contentType);

      expect(response.status).toBe(200);
      expect((await receiveOne(door))?.Body).toBe(body);
    },
  );

  it("queues every content type the stack maps, and checks each body against the model", async () => {
    const door = await openDoor();

    for (const contentType of WEBHOOK_CONTENT_TYPES) {
      expect((await post(door, body, contentType)).status, contentType).toBe(200);
      expect((await post(door, "[]", contentType)).status, contentType).toBe(400);
    }
    expect(await countMessages(door.sqs.client, door.sqs.queueUrl)).toBe(WEBHOOK_CONTENT_TYPES.length);
  });

  it("refuses a type the stack has no template for with API Gateway's 415, as NEVER passthrough does", async () => {
    const door = await openDoor();

    const response = await post(door, body, "text/plain");

    expect(response.status).toBe(415);
    expect(await response.json()).toEqual({ message: "Unsupported Media Type" });
    expect(await countMessages(door.sqs.client, door.sqs.queueUrl)).toBe(0);
  });

  it("matches the header exactly, the strict reading of API Gateway's rule: an unlisted JSON spelling gets 415", async () => {
    const door = await openDoor();

    const response = await post(door, body, "application/json; charset=latin1");

    expect(response.status).toBe(415);
  });
});
