import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliFixture, createCliFixture, writePipelineState } from "./cli-fixture.js";

// A delivery destination's queues beside the webhook ones: a page PagerDuty refused sits in its dead-letter queue.
let fixture: CliFixture;
let queueUrl: string;
let deadLetterQueueUrl: string;

beforeAll(async () => {
  fixture = await createCliFixture();
  const created = async (name: string, attributes: Record<string, string> = {}) =>
    (await fixture.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes })))
      .QueueUrl as string;
  deadLetterQueueUrl = await created("hookwatch-delivery-oncall-dlq");
  const { Attributes } = await fixture.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: deadLetterQueueUrl, AttributeNames: ["QueueArn"] }),
  );
  // As the stack builds it: the destination's queue names the dead-letter queue in its redrive policy.
  queueUrl = await created("hookwatch-delivery-oncall", {
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount: 5 }),
  });
  await fixture.sqs.send(
    new SendMessageCommand({
      QueueUrl: deadLetterQueueUrl,
      MessageBody: JSON.stringify({
        dedup_key: "hookwatch:app_test:migration:1",
        event_action: "trigger",
        app_id: "app_test",
      }),
      MessageAttributes: {
        destination: { DataType: "String", StringValue: "oncall" },
        delivery_error: { DataType: "String", StringValue: 'HTTP 400: {"status":"invalid event"}' },
      },
    }),
  );
  await writePipelineState(fixture.directory, {
    ...fixture.state,
    deliveries: [{ name: "oncall", queueUrl, deadLetterQueueUrl }],
  });
});
afterAll(() => fixture.close());

const depth = async (url: string) => {
  const { Attributes } = await fixture.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages"] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages);
};

describe("dlq --destination", () => {
  it("shows a destination's dead letters with the destination's answer", async () => {
    const { code, stdout } = await fixture.run(["dlq", "--destination", "oncall", "--local"]);

    expect(code).toBe(0);
    expect(stdout.split("\n")[0]).toBe(
      `Dead-letter queue: 1 message waiting, 0 in flight (${deadLetterQueueUrl})`,
    );
    expect(stdout).toContain('HTTP 400: {"status":"invalid event"}');
    expect(stdout).toContain(
      "move them back to the delivery queue of oncall: npx hookwatch dlq redrive --destination oncall --local",
    );
  });

  it("names the configured destinations when asked for another", async () => {
    const { code, stderr } = await fixture.run(["dlq", "--destination", "slack", "--local"]);

    expect(code).toBe(2);
    expect(stderr).toContain('has no destination "slack" (its destinations: oncall)');
  });

  it("moves the page back to the destination's queue, not the webhook queue", async () => {
    const webhookDepth = await fixture.queueDepth(fixture.state.queueUrl);

    const { code, stdout } = await fixture.run([
      "dlq",
      "redrive",
      "--destination",
      "oncall",
      "--yes",
      "--local",
    ]);

    expect(code).toBe(0);
    expect(stdout).toContain(
      "Moved 1 message from the dead-letter queue back to the delivery queue of oncall",
    );
    expect(await depth(deadLetterQueueUrl)).toBe(0);
    const { Messages = [] } = await fixture.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, VisibilityTimeout: 0 }),
    );
    expect(JSON.parse(Messages[0]?.Body ?? "{}")).toMatchObject({
      dedup_key: "hookwatch:app_test:migration:1",
    });
    expect(await fixture.queueDepth(fixture.state.queueUrl)).toBe(webhookDepth);
  });
});
