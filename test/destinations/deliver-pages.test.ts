import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { DeadLetterReason } from "../../lambdas/destinations/dead-letter.js";
import { type DeliveryDeps, deliverPages } from "../../lambdas/destinations/deliver-pages.js";
import type { DestinationSettings } from "../../lambdas/destinations/destination-settings.js";
import { webhookIdOf } from "../../lambdas/destinations/standard-webhook.js";
import { type PagerDutyStandIn, startPagerDutyStandIn } from "../../local/pagerduty-stand-in.js";
import { startWebhookReceiver, type WebhookReceiver } from "../../local/webhook-receiver.js";
import { deliveryRecord, resolveDocument, triggerDocument } from "../helpers/delivery-records.js";

const ROUTING_KEY = randomBytes(16).toString("hex");
const SIGNING_SECRET = `whsec_${randomBytes(32).toString("base64")}`;
const TIMEOUT_MS = 30_000;

// A clock that only moves when the sender sleeps: retries and Retry-After are checked without waiting.
let clock = Date.now();
const now = () => clock;
let sleeps: number[] = [];
const sleep = async (ms: number) => {
  sleeps.push(ms);
  clock += ms;
};

let pagerDuty: PagerDutyStandIn;
let receiver: WebhookReceiver;
let deadLetters: DeadLetterReason[];
let counts: string[];
let logged: string[];

beforeAll(async () => {
  pagerDuty = await startPagerDutyStandIn();
  receiver = await startWebhookReceiver({ secret: SIGNING_SECRET, now });
});

afterAll(async () => {
  await pagerDuty?.close();
  await receiver?.close();
});

beforeEach(() => {
  pagerDuty.recover();
  receiver.recover();
  sleeps = [];
  deadLetters = [];
  counts = [];
  logged = [];
});

function deps(destination: DestinationSettings, secret: string | Error): DeliveryDeps {
  const log = (level: string) => (message: string, fields: Record<string, unknown>) =>
    logged.push(`${level} ${message} ${JSON.stringify(fields)}`);
  return {
    destination,
    readSecret: async () => {
      if (secret instanceof Error) throw secret;
      return secret;
    },
    deadLetter: async (_record, reason) => {
      deadLetters.push(reason);
    },
    metrics: {
      count: (name, dimensions) => counts.push(`${name}:${dimensions.destination}:${dimensions.outcome}`),
    },
    log: { info: log("info"), warn: log("warn"), error: log("error") },
    dashboardUrl: "https://console.aws.amazon.com/cloudwatch/home#dashboards:name=hw",
    send: { now, sleep },
  };
}

const pagerDutyDestination = (): DestinationSettings => ({
  type: "pagerduty",
  name: "oncall",
  routingKeySecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:pd-AbCdEf",
  eventsUrl: pagerDuty.eventsUrl,
});

const webhookDestination = (): DestinationSettings => ({
  type: "webhook",
  name: "incidents",
  url: receiver.url,
  signingSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:wh-AbCdEf",
});

function deliver(destination: DestinationSettings, secret: string | Error, ...bodies: (string | object)[]) {
  const records = bodies.map((body, index) => deliveryRecord(body as string, `m${index + 1}`));
  return deliverPages(deps(destination, secret), records, clock + TIMEOUT_MS);
}

describe("delivering to PagerDuty", () => {
  it("opens an incident for the trigger and closes it with the resolve", async () => {
    const result = await deliver(pagerDutyDestination(), ROUTING_KEY, triggerDocument(), resolveDocument());

    expect(result.batchItemFailures).toEqual([]);
    const incident = pagerDuty.incidents.find((i) => i.dedupKey === triggerDocument().dedup_key);
    expect(incident).toMatchObject({ status: "resolved", triggers: 1, routingKey: ROUTING_KEY });
    expect(counts).toEqual(["Deliveries:oncall:delivered", "Deliveries:oncall:delivered"]);
  });

  it("waits what Retry-After asks after a 429, backs off after 500s, then delivers", async () => {
    pagerDuty.misbehave({ status: 429, retryAfterSeconds: 3 });
    pagerDuty.misbehave({ status: 500, times: 2 });

    const result = await deliver(pagerDutyDestination(), ROUTING_KEY, triggerDocument());

    expect(result.batchItemFailures).toEqual([]);
    expect(sleeps).toEqual([3_000, 1_000, 2_000]);
    expect(logged.find((line) => line.startsWith("info page delivered"))).toContain('"attempts":4');
  });

  it("dead-letters a 400 at once with PagerDuty's answer, and never retries it", async () => {
    const accepted = pagerDuty.accepted.length;
    pagerDuty.misbehave({ status: 400 });

    const result = await deliver(pagerDutyDestination(), ROUTING_KEY, triggerDocument());

    expect(result.batchItemFailures).toEqual([]);
    expect(sleeps).toEqual([]);
    expect(deadLetters).toEqual([
      { destination: "oncall", status: 400, error: expect.stringContaining('"status":"invalid event"') },
    ]);
    expect(counts).toEqual(["Deliveries:oncall:refused"]);
    expect(pagerDuty.accepted).toHaveLength(accepted);
  });

  it("leaves the page and the rest of the batch to SQS when PagerDuty stays down past the time budget", async () => {
    pagerDuty.misbehave({ status: 503, times: 1_000 });

    const result = await deliver(pagerDutyDestination(), ROUTING_KEY, triggerDocument(), resolveDocument());

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "m1" }, { itemIdentifier: "m2" }]);
    expect(sleeps.reduce((sum, ms) => sum + ms, 0)).toBeLessThanOrEqual(TIMEOUT_MS);
    expect(deadLetters).toEqual([]);
    expect(counts).toEqual(["Deliveries:oncall:retry_later", "Deliveries:oncall:retry_later"]);
  });

  it("stops retrying when a Retry-After is longer than the time left, and says so", async () => {
    pagerDuty.misbehave({ status: 429, retryAfterSeconds: 120 });

    const result = await deliver(pagerDutyDestination(), ROUTING_KEY, triggerDocument());

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "m1" }]);
    expect(sleeps).toEqual([]);
    expect(logged.join("\n")).toContain("asked to retry after 120 s");
  });

  it("dead-letters the page when the routing key secret is not a PagerDuty key", async () => {
    const result = await deliver(pagerDutyDestination(), "not-a-key", triggerDocument());

    expect(result.batchItemFailures).toEqual([]);
    expect(deadLetters).toEqual([
      { destination: "oncall", error: expect.stringContaining("holds 9 characters") },
    ]);
    expect(counts).toEqual(["Deliveries:oncall:invalid"]);
  });

  it("retries later when the secret cannot be read", async () => {
    const result = await deliver(
      pagerDutyDestination(),
      new Error("cannot read secret: AccessDeniedException"),
      triggerDocument(),
    );

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "m1" }]);
    expect(deadLetters).toEqual([]);
  });
});

describe("delivering to a signed webhook", () => {
  it("posts the page's JSON document, signed so the receiver verifies it, with a stable webhook-id", async () => {
    const document = triggerDocument();
    receiver.misbehave({ status: 500 });

    const result = await deliver(webhookDestination(), SIGNING_SECRET, document);

    expect(result.batchItemFailures).toEqual([]);
    const delivery = receiver.received.at(-1);
    expect(delivery?.body).toEqual(JSON.parse(JSON.stringify(document)));
    expect(delivery?.id).toBe(webhookIdOf(document.dedup_key, "trigger"));
    expect(delivery?.timestamp).toBe(Math.floor(clock / 1000));
    expect(receiver.refused).toEqual([]);
  });

  it("dead-letters the page when the receiver refuses the signature (a secret that does not match)", async () => {
    const wrong = `whsec_${randomBytes(32).toString("base64")}`;

    const result = await deliver(webhookDestination(), wrong, triggerDocument());

    expect(result.batchItemFailures).toEqual([]);
    expect(deadLetters).toEqual([
      { destination: "incidents", status: 401, error: 'HTTP 401: {"error":"no v1 signature matches"}' },
    ]);
  });

  it("does not follow a redirect: the URL should be updated instead", async () => {
    receiver.misbehave({ status: 308 });

    await deliver(webhookDestination(), SIGNING_SECRET, triggerDocument());

    expect(deadLetters).toEqual([expect.objectContaining({ status: 308 })]);
  });
});

describe("what every destination shares", () => {
  it("dead-letters a message that is not a page, naming what is wrong", async () => {
    const result = await deliver(
      webhookDestination(),
      SIGNING_SECRET,
      "{not json",
      JSON.stringify({ dedup_key: "k" }),
    );

    expect(result.batchItemFailures).toEqual([]);
    expect(deadLetters.map((reason) => reason.error)).toEqual([
      "the message body is not JSON",
      expect.stringMatching(/^the message body is not a hookwatch page \(event_action, summary/),
    ]);
  });

  it("never logs a secret", async () => {
    pagerDuty.misbehave({ status: 400 });
    await deliver(pagerDutyDestination(), ROUTING_KEY, triggerDocument());
    await deliver(webhookDestination(), SIGNING_SECRET, triggerDocument());
    await deliver(webhookDestination(), "whsec_short", triggerDocument());

    const text = logged.join("\n");
    expect(logged.length).toBeGreaterThanOrEqual(3);
    expect(text).not.toContain(ROUTING_KEY);
    expect(text).not.toContain(SIGNING_SECRET.slice(6));
    expect(text).not.toContain("whsec_short");
  });
});
