import { appendFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatPage } from "../../lambdas/pages/page-format.js";
import { publishPage } from "../../lambdas/pages/sns-pager.js";
import { LOCAL_CREDENTIALS, LOCAL_REGION } from "../../local/local-aws.js";
import { createLocalPager, formatForTerminal, readPagerFile } from "../../local/local-pager.js";
import { type PublishRecord, type SnsStandIn, startSnsStandIn } from "../../local/sns-stand-in.js";
import { buildResolvePage, buildTriggerPage } from "../helpers/burst-page-factory.js";

const TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:hookwatch-paging";

let standIn: SnsStandIn;
let sns: SNSClient;
let failNext = false;
const received: PublishRecord[] = [];

beforeAll(async () => {
  standIn = await startSnsStandIn({
    topicArns: [TOPIC_ARN],
    onPublish: (record) => {
      if (failNext) throw new Error("the pager file cannot be written (injected)");
      received.push(record);
    },
  });
  // The real SNS client over its real (AWS query) protocol, pointed at the stand-in; no retries to wait for.
  sns = new SNSClient({
    endpoint: standIn.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
});

afterAll(async () => {
  sns.destroy();
  await standIn.close();
});

describe("the SNS stand-in", () => {
  it("accepts the processor's page publish and hands over the whole Publish input", async () => {
    const page = buildTriggerPage();
    received.length = 0;

    const messageId = await publishPage(sns, TOPIC_ARN, page);

    const [record] = received;
    const formatted = formatPage(page);
    expect(record?.MessageId).toBe(messageId);
    expect(record?.TopicArn).toBe(TOPIC_ARN);
    expect(record?.Subject).toBe(formatted.subject);
    expect(record?.MessageStructure).toBe("json");
    expect(record?.Message).toMatchObject({ default: formatted.text, sms: formatted.sms });
    expect(record?.MessageAttributes.event_action).toEqual({ DataType: "String", StringValue: "trigger" });
  });

  it("fails a publish to a topic that does not exist, as SNS does", async () => {
    const publish = sns.send(new PublishCommand({ TopicArn: `${TOPIC_ARN}-other`, Message: "hello" }));

    await expect(publish).rejects.toMatchObject({ name: "NotFoundException" });
  });

  it("refuses a subject SNS would refuse: a line break", async () => {
    const publish = sns.send(
      new PublishCommand({ TopicArn: TOPIC_ARN, Subject: "two\nlines", Message: "x" }),
    );

    await expect(publish).rejects.toMatchObject({ name: "InvalidParameterException" });
  });

  it("refuses a JSON message structure without the default entry", async () => {
    const publish = sns.send(
      new PublishCommand({
        TopicArn: TOPIC_ARN,
        MessageStructure: "json",
        Message: JSON.stringify({ email: "only email" }),
      }),
    );

    await expect(publish).rejects.toMatchObject({ name: "InvalidParameterException" });
  });

  it("fails the publish when the page cannot be delivered, so the caller retries it", async () => {
    failNext = true;
    try {
      await expect(publishPage(sns, TOPIC_ARN, buildTriggerPage())).rejects.toThrow();
    } finally {
      failNext = false;
    }
  });
});

describe("the local pager", () => {
  it("appends one JSON line per page and prints the subject and the text for people", async () => {
    const directory = await mkdtemp(join(tmpdir(), "hookwatch-pager-"));
    const printed: string[] = [];
    const pager = createLocalPager({
      file: join(directory, "pages.jsonl"),
      print: (text) => printed.push(text),
      color: false,
    });
    const record: PublishRecord = {
      MessageId: "m-1",
      ReceivedAt: "2026-11-21T09:15:00.000Z",
      TopicArn: TOPIC_ARN,
      Subject: "hookwatch: resolved",
      MessageStructure: "json",
      Message: { default: "the hook answers again" },
      MessageAttributes: { event_action: { DataType: "String", StringValue: "resolve" } },
    };
    try {
      await pager(record);
      await pager({ ...record, MessageId: "m-2" });

      const lines = (await readFile(join(directory, "pages.jsonl"), "utf8")).trimEnd().split("\n");
      expect(lines.map((line) => JSON.parse(line))).toEqual([record, { ...record, MessageId: "m-2" }]);
      expect(printed[0]).toContain("PAGE RESOLVE");
      expect(printed[0]).toContain("Subject: hookwatch: resolved");
      expect(printed[0]).toContain("the hook answers again");
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it("reads back only whole pages while one is still being appended", async () => {
    const directory = await mkdtemp(join(tmpdir(), "hookwatch-pager-"));
    const file = join(directory, "pages.jsonl");
    const record: PublishRecord = {
      MessageId: "m-1",
      ReceivedAt: "2026-11-21T09:15:00.000Z",
      TopicArn: TOPIC_ARN,
      Message: "the hook is down",
      MessageAttributes: {},
    };
    try {
      expect(await readPagerFile(file)).toEqual([]);
      const second = JSON.stringify({ ...record, MessageId: "m-2" });
      await appendFile(file, `${JSON.stringify(record)}\n${second.slice(0, 40)}`);

      expect(await readPagerFile(file)).toEqual([record]);
      await appendFile(file, `${second.slice(40)}\n`);
      expect((await readPagerFile(file)).map((page) => page.MessageId)).toEqual(["m-1", "m-2"]);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it("colours the action only when asked (a TTY)", () => {
    const formatted = formatPage(buildResolvePage());
    const record: PublishRecord = {
      MessageId: "m-1",
      ReceivedAt: "2026-11-21T09:15:00.000Z",
      TopicArn: TOPIC_ARN,
      Subject: formatted.subject,
      Message: formatted.text,
      MessageAttributes: { event_action: { DataType: "String", StringValue: "resolve" } },
    };

    expect(formatForTerminal(record, true)).toContain("\u001b[1;32mPAGE RESOLVE");
    expect(formatForTerminal(record, false)).not.toContain("\u001b[");
  });
});
