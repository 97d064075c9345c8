import { randomUUID } from "node:crypto";
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { LOCAL_ACCOUNT_ID } from "./local-aws.js";
import { countMessages } from "./sqs-stand-in.js";

/** A Lambda handler fed by an SQS event source. */
export type SqsHandler = (event: SQSEvent, context: Context) => Promise<unknown>;

export interface SqsPollerOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly deadLetterQueueUrl: string;
  readonly region: string;
  readonly handler: SqsHandler;
  /** The event source mapping's BatchSize. */
  readonly batchSize: number;
  /** The event source mapping's MaximumBatchingWindowInSeconds. */
  readonly maximumBatchingWindowSeconds: number;
  /** Whether `batchItemFailures` in the handler's answer are honoured (FunctionResponseTypes). */
  readonly reportBatchItemFailures: boolean;
  /** The function's timeout; an invocation that runs longer counts as failed, as in Lambda. */
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  /** For the log lines: the visibility timeout and the receive count before the dead-letter queue. */
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
  readonly functionName: string;
  /** What the log lines call the function. @default "processor" */
  readonly label?: string;
  readonly log: (line: string) => void;
  /** How long to wait before polling an empty queue again. */
  readonly idlePollMs?: number;
  /**
   * How many invocations may run at once: the event source's maximum concurrency. Each has its own poll
   * loop, as Lambda's pollers do, so a slow invocation does not hold the others up. @default 1
   */
  readonly concurrency?: number;
  /** Told, after each invocation, what became of each message it carried and when (the soak's exact record). */
  readonly onDelivery?: (delivery: PollerDelivery) => void;
}

/**
 * One message's delivery to one invocation, with the poller's clock at each step. The queue's own clock
 * lies between the "sent" and the answer of each call: a receive starts the visibility timeout somewhere
 * between `receiveSentAt` and `receivedAt`, a delete takes effect between `deleteSentAt` and `deletedAt`.
 */
export interface PollerDelivery {
  readonly messageId: string;
  readonly receiveCount: number;
  readonly receiveSentAt: number;
  readonly receivedAt: number;
  readonly invokedAt: number;
  readonly returnedAt: number;
  /** Deleted after a success, or left in the queue for a retry (failed, threw, timed out). */
  readonly outcome: "deleted" | "left";
  readonly deleteSentAt?: number;
  readonly deletedAt?: number;
  /** Why SQS refused the delete (an expired receipt handle, a message moved away), when it did. */
  readonly deleteError?: string;
}

export interface SqsPoller {
  /** Stops polling and waits for the invocation in progress, if any. */
  stop(): Promise<void>;
}

/** SQS returns at most 10 messages per receive. */
const MAX_RECEIVE = 10;

/**
 * Feeds the handler the way Lambda's SQS event source does: receives up to the batch size (waiting
 * up to the batching window to fill it), invokes with SQS-record-shaped events, deletes what
 * succeeded, and leaves reported `batchItemFailures` (everything, when the invocation throws or times
 * out) in the queue, where SQS makes them visible again after the visibility timeout and moves them
 * to the dead-letter queue after `maxReceiveCount` receives.
 *
 * Short polls in a loop rather than long polls: `local-aws-sqs` holds a long poll for its whole wait
 * time and may hand out a message twice within one wait.
 */
export function startSqsPoller(options: SqsPollerOptions): SqsPoller {
  const idlePollMs = options.idlePollMs ?? 200;
  const stopping = new AbortController();
  let deadLetters = 0;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        stopping.signal.removeEventListener("abort", wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      stopping.signal.addEventListener("abort", wake, { once: true });
    });

  /** A received message with the poller's clock around the receive that returned it. */
  interface Received {
    readonly message: Message;
    readonly sentAt: number;
    readonly receivedAt: number;
  }

  async function receive(max: number): Promise<Received[]> {
    const sentAt = Date.now();
    const { Messages = [] } = await options.client.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: Math.min(max, MAX_RECEIVE),
        WaitTimeSeconds: 0,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
        // Older name of the same request parameter, which local-aws-sqs reads.
        AttributeNames: ["All"],
      }),
    );
    const receivedAt = Date.now();
    return Messages.map((message) => ({ message, sentAt, receivedAt }));
  }

  async function collectBatch(first: Received[]): Promise<Received[]> {
    const batch = [...first];
    const deadline = Date.now() + options.maximumBatchingWindowSeconds * 1000;
    while (batch.length < options.batchSize && Date.now() < deadline && !stopping.signal.aborted) {
      await sleep(Math.min(100, deadline - Date.now()));
      batch.push(...(await receive(options.batchSize - batch.length)));
    }
    return batch;
  }

  async function invoke(batch: Received[]): Promise<void> {
    const messages = batch.map((received) => received.message);
    const records = messages.map((message) => toSqsRecord(message, options));
    const invokedAt = Date.now();
    const deadline = Date.now() + options.timeoutSeconds * 1000;
    const context = lambdaContext(options, deadline);
    let failed: Set<string>;
    let outcome: string;
    try {
      const result = await withTimeout(
        options.handler({ Records: records }, context),
        options.timeoutSeconds,
      );
      failed = failedMessageIds(result, records, options.reportBatchItemFailures);
      outcome = failed.size === 0 ? "done" : `${records.length - failed.size} done, ${failed.size} to retry`;
    } catch (error) {
      failed = new Set(records.map((record) => record.messageId));
      outcome = `failed (${(error as Error).message}), all to retry`;
    }

    const returnedAt = Date.now();
    const succeeded = messages.filter((message) => !failed.has(message.MessageId ?? ""));
    const deletes = new Map<string, { sentAt: number; doneAt: number; error?: string }>();
    for (let i = 0; i < succeeded.length; i += MAX_RECEIVE) {
      const chunk = succeeded.slice(i, i + MAX_RECEIVE);
      const sentAt = Date.now();
      const { Failed = [] } = await options.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: chunk.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
          })),
        }),
      );
      const doneAt = Date.now();
      const refused = new Map(Failed.map((entry) => [entry.Id, `${entry.Code}: ${entry.Message ?? ""}`]));
      for (const [index, message] of chunk.entries()) {
        const error = refused.get(String(index));
        deletes.set(message.MessageId ?? "", { sentAt, doneAt, ...(error === undefined ? {} : { error }) });
      }
    }
    for (const [index, record] of records.entries()) {
      const { sentAt, receivedAt } = batch[index] as Received;
      const deleted = deletes.get(record.messageId);
      options.onDelivery?.({
        messageId: record.messageId,
        receiveCount: Number(record.attributes.ApproximateReceiveCount),
        receiveSentAt: sentAt,
        receivedAt,
        invokedAt,
        returnedAt,
        outcome: deleted === undefined ? "left" : "deleted",
        ...(deleted === undefined
          ? {}
          : {
              deleteSentAt: deleted.sentAt,
              deletedAt: deleted.doneAt,
              ...(deleted.error === undefined ? {} : { deleteError: deleted.error }),
            }),
      });
    }
    const receives = records
      .filter((record) => failed.has(record.messageId))
      .map((record) => Number(record.attributes.ApproximateReceiveCount));
    const retry =
      receives.length === 0
        ? ""
        : `; visible again in ${options.visibilityTimeoutSeconds} s (receive ${Math.max(...receives)} of ${options.maxReceiveCount} before the dead-letter queue)`;
    options.log(`${options.label ?? "processor"}: ${plural(records.length, "message")} → ${outcome}${retry}`);
  }

  async function reportDeadLetters(): Promise<void> {
    const count = await countMessages(options.client, options.deadLetterQueueUrl);
    if (count > deadLetters) {
      options.log(
        `dead-letter queue: ${plural(count, "message")} (failed ${options.maxReceiveCount} receives) at ${options.deadLetterQueueUrl}`,
      );
    }
    deadLetters = count;
  }

  let lastDeadLetterCheck = 0;
  const pollLoop = async () => {
    while (!stopping.signal.aborted) {
      try {
        const first = await receive(options.batchSize);
        if (first.length > 0) await invoke(await collectBatch(first));
        else await sleep(idlePollMs);
        if (Date.now() - lastDeadLetterCheck > 1_000) {
          lastDeadLetterCheck = Date.now();
          await reportDeadLetters();
        }
      } catch (error) {
        if (stopping.signal.aborted) break;
        options.log(`poller: ${(error as Error).message}; retrying in 1 s`);
        await sleep(1_000);
      }
    }
  };
  const loops = Array.from({ length: Math.max(1, options.concurrency ?? 1) }, pollLoop);

  return {
    async stop() {
      stopping.abort();
      await Promise.all(loops);
    },
  };
}

/**
 * The messages to leave in the queue, as Lambda reads a partial batch response: none for an empty or
 * absent list, the listed ones, and the whole batch when an entry names no message of the batch.
 */
export function failedMessageIds(
  result: unknown,
  records: readonly SQSRecord[],
  reportBatchItemFailures: boolean,
): Set<string> {
  const all = new Set(records.map((record) => record.messageId));
  if (!reportBatchItemFailures || result === null || typeof result !== "object") return new Set();
  const failures = (result as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return all;
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== "string" || !all.has(id)) return all;
    failed.add(id);
  }
  return failed;
}

/** One SQS message as Lambda's event source hands it to the function. */
export function toSqsRecord(
  message: Message,
  source: { readonly queueArn: string; readonly region: string },
): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body: message.Body ?? "",
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? "1",
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? "local",
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        {
          dataType: value.DataType ?? "String",
          ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
          ...(value.BinaryValue === undefined
            ? {}
            : { binaryValue: Buffer.from(value.BinaryValue).toString("base64") }),
          stringListValues: [],
          binaryListValues: [],
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? "",
    ...(message.MD5OfMessageAttributes === undefined
      ? {}
      : { md5OfMessageAttributes: message.MD5OfMessageAttributes }),
    eventSource: "aws:sqs",
    eventSourceARN: source.queueArn,
    awsRegion: source.region,
  };
}

/** The Lambda context object a handler receives, for a local function. */
export function lambdaContext(
  fn: { readonly functionName: string; readonly region: string; readonly memorySize: number },
  deadline: number,
): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${fn.region}:${LOCAL_ACCOUNT_ID}:function:${fn.functionName}`,
    memoryLimitInMB: String(fn.memorySize),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${fn.functionName}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** Rejects when the promise takes longer than the function's timeout (the work itself is not stopped). */
export function withTimeout<T>(promise: Promise<T>, seconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${seconds} s`)), seconds * 1000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
