import { PublishCommand, type PublishCommandInput, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import type { BurstPage } from "../../lambdas/pages/burst-page.js";
import type { PageDocument } from "../../lambdas/pages/page-document.js";
import { formatPage } from "../../lambdas/pages/page-format.js";
import {
  createSnsPager,
  MAX_PUBLISH_BYTES,
  measurePublishBytes,
  PagePublishError,
  PROTOCOL_KEYS,
  publishPage,
} from "../../lambdas/pages/sns-pager.js";
import {
  buildDelayedPage,
  buildResolvePage,
  buildTriggerPage,
  STEP_UP_SAMPLES,
} from "../helpers/burst-page-factory.js";

const TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:hookwatch-pages";

// SNS has no local emulator: record what the client is asked to publish, at the SDK boundary.
const snsMock = mockClient(SNSClient);
const sns = new SNSClient({});

beforeEach(() => {
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: "msg-0001" });
});

afterAll(() => {
  snsMock.restore();
});

function publishedInputs(): PublishCommandInput[] {
  return snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input);
}

async function publishAndRecord(page: BurstPage): Promise<PublishCommandInput> {
  await publishPage(sns, TOPIC_ARN, page);
  const inputs = publishedInputs();
  expect(inputs).toHaveLength(1);
  return inputs[0] as PublishCommandInput;
}

function protocolMessages(input: PublishCommandInput): Record<string, string> {
  return JSON.parse(input.Message ?? "null") as Record<string, string>;
}

describe("publishPage", () => {
  it("publishes one per-protocol JSON message to the topic with the page's subject", async () => {
    const page = buildTriggerPage();

    const input = await publishAndRecord(page);

    expect(input.TopicArn).toBe(TOPIC_ARN);
    expect(input.MessageStructure).toBe("json");
    expect(input.Subject).toBe(
      "hookwatch: step-up hook failing for app 54e9ujn (12 transport failures in 60s)",
    );
  });

  it("gives every protocol a string message, default included", async () => {
    const input = await publishAndRecord(buildTriggerPage());

    const messages = protocolMessages(input);

    expect(Object.keys(messages).sort()).toEqual([...PROTOCOL_KEYS].sort());
    for (const key of PROTOCOL_KEYS) expect(typeof messages[key]).toBe("string");
  });

  it("sends the text for people as default and email, and the short text as sms", async () => {
    const page = buildTriggerPage();
    const formatted = formatPage(page);

    const messages = protocolMessages(await publishAndRecord(page));

    expect(messages.default).toBe(formatted.text);
    expect(messages.email).toBe(formatted.text);
    expect(messages.sms).toBe(formatted.sms);
    expect(messages.default).toContain("Check first");
  });

  it.each(["https", "http", "sqs", "lambda", "firehose", "email-json"])(
    "sends %s subscribers the JSON document",
    async (protocol) => {
      const page = buildTriggerPage();

      const messages = protocolMessages(await publishAndRecord(page));

      const document = JSON.parse(messages[protocol] ?? "null") as PageDocument;
      expect(document).toEqual(formatPage(page).document);
      expect(document).toMatchObject({
        dedup_key: page.dedupKey,
        event_action: "trigger",
        severity: "critical",
        hook: "step-up",
        app_id: "54e9ujn",
      });
      expect(document.sample_events).toHaveLength(STEP_UP_SAMPLES.length);
    },
  );

  it.each<[string, BurstPage, Record<string, string>]>([
    ["a live page", buildTriggerPage(), { event_action: "trigger", severity: "critical" }],
    ["a delayed page", buildDelayedPage(), { event_action: "trigger", severity: "warning" }],
    ["a resolve", buildResolvePage(), { event_action: "resolve", severity: "info" }],
  ])(
    "attaches event_action, hook, app_id, severity and kind as String attributes to %s",
    async (_, page, expected) => {
      const input = await publishAndRecord(page);

      expect(input.MessageAttributes).toEqual({
        event_action: { DataType: "String", StringValue: expected.event_action },
        hook: { DataType: "String", StringValue: "step-up" },
        app_id: { DataType: "String", StringValue: "54e9ujn" },
        severity: { DataType: "String", StringValue: expected.severity },
        kind: { DataType: "String", StringValue: "burst" },
      });
    },
  );

  it("returns the MessageId SNS assigns", async () => {
    snsMock.on(PublishCommand).resolves({ MessageId: "5f1e2d3c-aaaa-bbbb-cccc-0123456789ab" });

    const messageId = await publishPage(sns, TOPIC_ARN, buildTriggerPage());

    expect(messageId).toBe("5f1e2d3c-aaaa-bbbb-cccc-0123456789ab");
  });

  it("rejects with the SNS error when the publish fails, so the caller retries", async () => {
    const throttled = Object.assign(new Error("Rate exceeded"), { name: "ThrottledException" });
    snsMock.on(PublishCommand).rejects(throttled);

    await expect(publishPage(sns, TOPIC_ARN, buildTriggerPage())).rejects.toThrow("Rate exceeded");
    expect(publishedInputs()).toHaveLength(1);
  });

  it("rejects when SNS answers without a MessageId", async () => {
    snsMock.on(PublishCommand).resolves({});

    await expect(publishPage(sns, TOPIC_ARN, buildTriggerPage())).rejects.toThrow(PagePublishError);
  });

  it("publishes the same message for the same page, so a repeat carries the same dedup key", async () => {
    const page = buildResolvePage();

    await publishPage(sns, TOPIC_ARN, page);
    await publishPage(sns, TOPIC_ARN, page);

    const [first, second] = publishedInputs();
    expect(second).toEqual(first);
  });
});

describe("publishPage size", () => {
  // Quotes and backslashes grow fourfold: escaped once in the document, again in the per-protocol JSON.
  const hostile = (length: number) => '"\\'.repeat(length / 2);

  function oversizedPage(): BurstPage {
    const big = hostile(10_000);
    const sample = {
      key: big,
      reason: big,
      occurred_at: big,
      dispatch_id: big,
      correlation_id: big,
      user_id: big,
      session_id: big,
      scope: big,
    };
    const sampleEvents = Array.from({ length: 1000 }, () => sample);
    const countsByReason = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`${i}${big}`, 1]));
    return buildTriggerPage({ sampleEvents, countsByReason });
  }

  it("keeps a normal page far below the SNS limit, samples included", async () => {
    const input = await publishAndRecord(buildTriggerPage());

    expect(measurePublishBytes(input)).toBeLessThan(MAX_PUBLISH_BYTES / 4);
  });

  it("stays within the SNS limit when every sample and reason is huge and full of quotes", async () => {
    const page = oversizedPage();

    const input = await publishAndRecord(page);

    expect(measurePublishBytes(input)).toBeLessThanOrEqual(MAX_PUBLISH_BYTES);
    const messages = protocolMessages(input);
    const document = JSON.parse(messages.https ?? "null") as PageDocument;
    expect(document.sample_events).toHaveLength(5);
    expect(Object.keys(document.counts_by_reason)).toHaveLength(21);
    expect(document.dedup_key).toBe(page.dedupKey);
    expect(messages.default).toContain("Check first");
  });

  it("refuses, naming the size, a page over the SNS limit and publishes nothing", async () => {
    const page = buildTriggerPage({ dedupKey: "k".repeat(300_000) });

    await expect(publishPage(sns, TOPIC_ARN, page)).rejects.toThrow(/bytes, over the SNS limit of 262144/);
    expect(publishedInputs()).toHaveLength(0);
  });
});

describe("createSnsPager", () => {
  it("publishes each page it is given to its topic", async () => {
    const pager = createSnsPager(sns, TOPIC_ARN);

    await pager.publish(buildTriggerPage());
    await pager.publish(buildResolvePage());

    const inputs = publishedInputs();
    expect(inputs.map((input) => input.TopicArn)).toEqual([TOPIC_ARN, TOPIC_ARN]);
    expect(inputs.map((input) => input.MessageAttributes?.event_action?.StringValue)).toEqual([
      "trigger",
      "resolve",
    ]);
  });

  it("rejects when SNS fails", async () => {
    snsMock.on(PublishCommand).rejects(new Error("Service Unavailable"));
    const pager = createSnsPager(sns, TOPIC_ARN);

    await expect(pager.publish(buildTriggerPage())).rejects.toThrow("Service Unavailable");
  });
});
