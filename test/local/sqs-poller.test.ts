import { ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { afterEach, describe, expect, it } from "vitest";
import {
  readWebhookMessage,
  toSendMessageInput,
  type WebhookMessage,
} from "../../lambdas/webhook/webhook-message.js";
import {
  failedMessageIds,
  type PollerDelivery,
  type SqsHandler,
  type SqsPoller,
  type SqsPollerOptions,
  startSqsPoller,
} from "../../local/sqs-poller.js";
import { countMessages, type SqsStandIn, startSqsStandIn } from "../../local/sqs-stand-in.js";
import { sqsRecord, webhookMessage } from "../helpers/prelude-events.js";

type StandIn = Awaited<ReturnType<typeof startSqsStandIn>>;
const running: { standIn?: SqsStandIn; poller?: SqsPoller }[] = [];

afterEach(async () => {
  for (const { poller, standIn } of running.splice(0)) {
    await poller?.stop();
    await standIn?.close();
  }
});

/** The SQS stand-in with a 1 s visibility timeout and 2 receives before the dead-letter queue. */
async function startQueue(): Promise<StandIn> {
  const standIn = await startSqsStandIn({
    queue: { visibilityTimeoutSeconds: 1, maxReceiveCount: 2 },
    deadLetterQueue: {},
    queueName: "poller-test",
  });
  running.push({ standIn });
  return standIn;
}

function poll(
  standIn: StandIn,
  handler: SqsHandler,
  log: string[] = [],
  options: Partial<SqsPollerOptions> = {},
): SqsPoller {
  const poller = startSqsPoller({
    client: standIn.client,
    queueUrl: standIn.queueUrl,
    queueArn: standIn.queueArn,
    deadLetterQueueUrl: standIn.deadLetterQueueUrl,
    region: "us-east-1",
    handler,
    batchSize: 10,
    maximumBatchingWindowSeconds: 0,
    reportBatchItemFailures: true,
    timeoutSeconds: 5,
    memorySize: 128,
    visibilityTimeoutSeconds: 1,
    maxReceiveCount: 2,
    functionName: "test-processor",
    log: (line) => log.push(line),
    idlePollMs: 50,
    ...options,
  });
  running.push({ poller });
  return poller;
}

async function send(standIn: StandIn, message: WebhookMessage): Promise<void> {
  await standIn.client.send(
    new SendMessageCommand({ QueueUrl: standIn.queueUrl, ...toSendMessageInput(message) }),
  );
}

async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function deadLetters(standIn: StandIn) {
  const { Messages = [] } = await standIn.client.send(
    new ReceiveMessageCommand({ QueueUrl: standIn.deadLetterQueueUrl, MaxNumberOfMessages: 10 }),
  );
  return Messages;
}

describe("the SQS poller, fed by the SQS stand-in", () => {
  it("hands the handler SQS records that read back as the webhook message that was sent", async () => {
    const standIn = await startQueue();
    const sent = webhookMessage('{"app_id":"app_test","events":[]}', { signature: "rsassa-pss-sha256=abc" });
    const events: SQSEvent[] = [];
    poll(standIn, async (event) => {
      events.push(event);
      return { batchItemFailures: [] };
    });

    await send(standIn, sent);

    const [record] = (await until("an invocation", () => events[0])).Records as [SQSRecord];
    expect(readWebhookMessage(record)).toEqual(sent);
    expect(record.eventSource).toBe("aws:sqs");
    expect(record.eventSourceARN).toBe(standIn.queueArn);
    expect(record.attributes.ApproximateReceiveCount).toBe("1");
  });

  it("deletes a message the handler processed, so the queue is left empty", async () => {
    const standIn = await startQueue();
    const deliveries: string[] = [];
    poll(standIn, async (event) => {
      deliveries.push(...event.Records.map((record) => record.body));
      return { batchItemFailures: [] };
    });

    await send(standIn, webhookMessage("only"));

    // An undeleted message would stay counted (in flight, then visible again) and never let this pass.
    await until("an empty queue after the delivery", async () =>
      deliveries.length > 0 && (await countMessages(standIn.client, standIn.queueUrl)) === 0
        ? true
        : undefined,
    );
    expect(deliveries).toEqual(["only"]);
    expect(await deadLetters(standIn)).toEqual([]);
  });

  it("redelivers only the reported failure, then moves it to the dead-letter queue after maxReceiveCount", async () => {
    const standIn = await startQueue();
    const receives: Record<string, string[]> = {};
    const log: string[] = [];
    poll(
      standIn,
      async (event) => {
        for (const record of event.Records) {
          receives[record.body] = [
            ...(receives[record.body] ?? []),
            record.attributes.ApproximateReceiveCount,
          ];
        }
        const poison = event.Records.filter((record) => record.body === "poison");
        return { batchItemFailures: poison.map((record) => ({ itemIdentifier: record.messageId })) };
      },
      log,
    );

    await send(standIn, webhookMessage("healthy"));
    await send(standIn, webhookMessage("poison"));

    const [dead] = await until("the dead letter", async () => {
      const messages = await deadLetters(standIn);
      return messages.length > 0 ? messages : undefined;
    });
    expect(dead?.Body).toBe("poison");
    expect(receives.poison).toEqual(["1", "2"]);
    expect(receives.healthy).toEqual(["1"]);
    await until("the dead-letter report", () =>
      log.find((line) => line.startsWith("dead-letter queue: 1 message")),
    );
  });

  it("leaves the whole batch for redelivery when the handler throws", async () => {
    const standIn = await startQueue();
    const receives: string[] = [];
    poll(standIn, async (event) => {
      receives.push(...event.Records.map((record) => record.attributes.ApproximateReceiveCount));
      throw new Error("DynamoDB is unavailable (injected)");
    });

    await send(standIn, webhookMessage("unlucky"));

    await until("the dead letter", async () => ((await deadLetters(standIn)).length > 0 ? true : undefined));
    expect(receives).toEqual(["1", "2"]);
  });
});

describe("the SQS poller with the event source's maximum concurrency", () => {
  it("runs as many invocations at once as allowed, and no more", async () => {
    const standIn = await startQueue();
    let inFlight = 0;
    let peak = 0;
    let done = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    poll(
      standIn,
      async () => {
        peak = Math.max(peak, ++inFlight);
        await gate;
        inFlight -= 1;
        done += 1;
        return { batchItemFailures: [] };
      },
      [],
      { concurrency: 3, batchSize: 1 },
    );

    for (const body of ["a", "b", "c", "d", "e"]) await send(standIn, webhookMessage(body));

    // Three invocations wait at the gate together: one poller alone could never get there.
    await until("three invocations at once", () => (inFlight === 3 ? true : undefined));
    release();
    await until("every message processed", () => (done >= 5 ? true : undefined));
    expect(peak).toBe(3);
  });

  it("reports each delivery's receive and delete times, a delete after the visibility timeout included", async () => {
    const standIn = await startQueue();
    const deliveries: PollerDelivery[] = [];
    poll(
      standIn,
      async (event) => {
        const [record] = event.Records as [SQSRecord];
        if (record.body === "slow" && record.attributes.ApproximateReceiveCount === "1") {
          return { batchItemFailures: [{ itemIdentifier: record.messageId }] };
        }
        // The last receive outlasts the visibility timeout: the stand-in moves the message meanwhile.
        if (record.body === "slow") {
          await until("the message to move", async () =>
            (await countMessages(standIn.client, standIn.deadLetterQueueUrl)) > 0 ? true : undefined,
          );
        }
        return { batchItemFailures: [] };
      },
      [],
      { batchSize: 1, onDelivery: (delivery) => deliveries.push(delivery) },
    );

    await send(standIn, webhookMessage("quick"));
    await send(standIn, webhookMessage("slow"));

    await until("three deliveries", () => (deliveries.length >= 3 ? true : undefined));
    const [quick, failed, late] = [...deliveries].sort((a, b) => a.receivedAt - b.receivedAt) as [
      PollerDelivery,
      PollerDelivery,
      PollerDelivery,
    ];
    expect(quick).toMatchObject({ receiveCount: 1, outcome: "deleted" });
    expect(quick.deleteError).toBeUndefined();
    expect(quick.receiveSentAt).toBeLessThanOrEqual(quick.receivedAt);
    expect(quick.receivedAt).toBeLessThanOrEqual(quick.invokedAt);
    expect(quick.returnedAt).toBeLessThanOrEqual(quick.deleteSentAt ?? 0);
    expect(quick.deleteSentAt).toBeLessThanOrEqual(quick.deletedAt ?? 0);
    expect(failed).toMatchObject({ receiveCount: 1, outcome: "left" });
    expect(failed.deletedAt).toBeUndefined();
    expect(late).toMatchObject({ messageId: failed.messageId, receiveCount: 2, outcome: "deleted" });
    expect((late.deletedAt ?? 0) - late.receiveSentAt).toBeGreaterThanOrEqual(1_000);
  });
});

describe("reading a partial batch response as Lambda does", () => {
  const records = [sqsRecord(webhookMessage("a"), "id-a"), sqsRecord(webhookMessage("b"), "id-b")];

  it("fails only the listed messages", () => {
    expect(failedMessageIds({ batchItemFailures: [{ itemIdentifier: "id-b" }] }, records, true)).toEqual(
      new Set(["id-b"]),
    );
  });

  it("fails nothing for an empty list or no answer", () => {
    expect(failedMessageIds({ batchItemFailures: [] }, records, true)).toEqual(new Set());
    expect(failedMessageIds(undefined, records, true)).toEqual(new Set());
  });

  it("fails the whole batch when an entry names no message of the batch", () => {
    expect(failedMessageIds({ batchItemFailures: [{ itemIdentifier: "id-x" }] }, records, true)).toEqual(
      new Set(["id-a", "id-b"]),
    );
    expect(failedMessageIds({ batchItemFailures: [{}] }, records, true)).toEqual(new Set(["id-a", "id-b"]));
  });

  it("ignores batchItemFailures when the event source does not report them", () => {
    expect(failedMessageIds({ batchItemFailures: [{ itemIdentifier: "id-a" }] }, records, false)).toEqual(
      new Set(),
    );
  });
});
