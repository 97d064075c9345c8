import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { WEBHOOK_ATTRIBUTES } from "../lambdas/webhook/webhook-message.js";
import type { Progress } from "./queries.js";

export interface QueueDepth {
  /** Messages waiting to be received. */
  readonly waiting: number;
  /** Received and not yet deleted or returned: being processed (or peeked). */
  readonly in_flight: number;
  readonly delayed: number;
}

/** SQS's approximate counts for one queue. */
export async function readQueueDepth(sqs: SQSClient, queueUrl: string): Promise<QueueDepth> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
      ],
    }),
  );
  const count = (name: string) => Number(Attributes[name as keyof typeof Attributes] ?? 0);
  return {
    waiting: count("ApproximateNumberOfMessages"),
    in_flight: count("ApproximateNumberOfMessagesNotVisible"),
    delayed: count("ApproximateNumberOfMessagesDelayed"),
  };
}

async function readQueueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
  );
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`SQS returned no QueueArn for ${queueUrl}`);
  return arn;
}

/** One message of the dead-letter queue: one webhook POST the processor failed on every time. */
export interface DeadLetter {
  readonly message_id: string;
  /** When SQS first accepted the POST (on the webhook queue), ISO. */
  readonly sent_at: string | null;
  /** Receives counted by SQS, including those on the webhook queue (and peeks). */
  readonly receive_count: number | null;
  readonly request_id: string | null;
  /** The webhook message's ReceivedAt attribute, ISO. */
  readonly received_at: string | null;
  readonly has_signature: boolean;
  readonly signature_key_id: string | null;
  /** From the body when it is a Prelude batch. */
  readonly app_id: string | null;
  readonly event_count: number | null;
  readonly body_bytes: number;
  readonly body: string;
  /** On a delivery destination's dead letters: why it was dead-lettered (the destination's answer). */
  readonly delivery_error: string | null;
}

function toDeadLetter(message: Message): DeadLetter {
  const attribute = (name: string) => message.MessageAttributes?.[name]?.StringValue ?? null;
  const body = message.Body ?? "";
  const sent = Number(message.Attributes?.SentTimestamp);
  const received = Number(attribute(WEBHOOK_ATTRIBUTES.receivedAt));
  const receives = Number(message.Attributes?.ApproximateReceiveCount);
  let appId: string | null = null;
  let eventCount: number | null = null;
  try {
    const parsed = JSON.parse(body) as { app_id?: unknown; events?: unknown };
    if (typeof parsed.app_id === "string") appId = parsed.app_id;
    if (Array.isArray(parsed.events)) eventCount = parsed.events.length;
  } catch {
    // Not JSON: shown as it is.
  }
  return {
    message_id: message.MessageId ?? "",
    sent_at: Number.isFinite(sent) && sent > 0 ? new Date(sent).toISOString() : null,
    receive_count: Number.isFinite(receives) ? receives : null,
    request_id: attribute(WEBHOOK_ATTRIBUTES.requestId),
    received_at: Number.isFinite(received) && received > 0 ? new Date(received).toISOString() : null,
    has_signature: attribute(WEBHOOK_ATTRIBUTES.signature) !== null,
    signature_key_id: attribute(WEBHOOK_ATTRIBUTES.signatureKeyId),
    app_id: appId,
    event_count: eventCount,
    body_bytes: Buffer.byteLength(body),
    body,
    delivery_error: attribute("delivery_error"),
  };
}

/** Long enough to page through a few hundred messages; if the CLI dies mid-peek they come back by themselves. */
export const PEEK_VISIBILITY_SECONDS = 30;

/**
 * Looks at up to `limit` dead letters without consuming them: each is received with a short
 * visibility timeout (so one peek sees each message once) and made visible again at once.
 * SQS counts a peek as a receive; the dead-letter queue has no redrive policy, so that moves nothing.
 */
export async function peekDeadLetters(
  sqs: SQSClient,
  queueUrl: string,
  limit: number,
  progress: Progress = () => {},
): Promise<DeadLetter[]> {
  const received: Message[] = [];
  try {
    while (received.length < limit) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, limit - received.length),
          VisibilityTimeout: PEEK_VISIBILITY_SECONDS,
          WaitTimeSeconds: 0,
          // The local stand-in reads only the older parameter name; SQS accepts both.
          AttributeNames: ["All"],
          MessageSystemAttributeNames: ["All"],
          MessageAttributeNames: ["All"],
        }),
      );
      if (Messages.length === 0) break;
      received.push(...Messages);
      progress(`peeking at the dead-letter queue: ${received.length} messages`);
    }
  } finally {
    await releaseMessages(sqs, queueUrl, received);
  }
  return received.map(toDeadLetter);
}

async function releaseMessages(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly Message[],
): Promise<void> {
  for (let start = 0; start < messages.length; start += 10) {
    const batch = messages.slice(start, start + 10);
    const { Failed = [] } = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle ?? "",
          VisibilityTimeout: 0,
        })),
      }),
    );
    if (Failed.length > 0) {
      throw new Error(
        `${Failed.length} peeked messages could not be made visible again (they will be after ${PEEK_VISIBILITY_SECONDS}s): ${Failed[0]?.Message ?? Failed[0]?.Code}`,
      );
    }
  }
}

export interface RedriveOutcome {
  readonly source_arn: string;
  readonly destination_arn: string;
  /** SQS's final status of the move task: COMPLETED, FAILED or CANCELLED. */
  readonly status: string;
  readonly moved: number;
  readonly to_move: number;
  readonly failure_reason: string | null;
}

export interface RedriveOptions {
  readonly deadLetterQueueUrl: string;
  readonly queueUrl: string;
  readonly pollMs?: number;
  readonly progress?: Progress;
  readonly sleep?: (ms: number) => Promise<void>;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Moves the dead-letter queue's messages back to the webhook queue with SQS's own message-move
 * task (StartMessageMoveTask), then follows the task until it ends. The destination is named
 * explicitly, so messages that reached the dead-letter queue any other way go back too.
 */
export async function redriveDeadLetters(sqs: SQSClient, options: RedriveOptions): Promise<RedriveOutcome> {
  const progress = options.progress ?? (() => {});
  const sleep = options.sleep ?? wait;
  const [sourceArn, destinationArn] = await Promise.all([
    readQueueArn(sqs, options.deadLetterQueueUrl),
    readQueueArn(sqs, options.queueUrl),
  ]);
  const { TaskHandle } = await sqs.send(
    new StartMessageMoveTaskCommand({ SourceArn: sourceArn, DestinationArn: destinationArn }),
  );
  for (;;) {
    await sleep(options.pollMs ?? 1_000);
    const { Results = [] } = await sqs.send(
      new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 }),
    );
    // A running task lists its handle; a finished one does not: then ours is the one started last.
    const task =
      Results.find((result) => result.TaskHandle === TaskHandle) ??
      [...Results].sort((a, b) => (b.StartedTimestamp ?? 0) - (a.StartedTimestamp ?? 0))[0];
    if (task === undefined) throw new Error(`SQS lists no message-move task for ${sourceArn}`);
    const moved = task.ApproximateNumberOfMessagesMoved ?? 0;
    const toMove = task.ApproximateNumberOfMessagesToMove ?? 0;
    if (task.Status === "RUNNING" || task.Status === "CANCELLING") {
      progress(`moving dead letters back: ${moved} of ~${toMove}`);
      continue;
    }
    return {
      source_arn: sourceArn,
      destination_arn: destinationArn,
      status: task.Status ?? "UNKNOWN",
      moved,
      to_move: toMove,
      failure_reason: task.FailureReason ?? null,
    };
  }
}
