import { type MessageAttributeValue, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";

/** Why a page was dead-lettered, kept with it as message attributes for `npx hookwatch dlq`. */
export interface DeadLetterReason {
  readonly destination: string;
  /** What went wrong, with the destination's answer when it gave one. */
  readonly error: string;
  /** The destination's HTTP status, when it answered. */
  readonly status?: number;
}

/** SQS attribute values are at most 256 KiB together; the answer is already capped, this keeps it obvious. */
const MAX_ERROR_LENGTH = 2_000;

/**
 * Moves a page that can never be delivered to the destination's dead-letter queue at once (instead of after
 * every receive): the body unchanged, so a redrive replays it, and the reason beside it.
 */
export function createDeadLetterSender(client: SQSClient, deadLetterQueueUrl: string) {
  return async (record: SQSRecord, reason: DeadLetterReason): Promise<void> => {
    const attributes: Record<string, MessageAttributeValue> = {
      destination: { DataType: "String", StringValue: reason.destination },
      delivery_error: {
        DataType: "String",
        StringValue: reason.error.slice(0, MAX_ERROR_LENGTH) || "unknown",
      },
      source_message_id: { DataType: "String", StringValue: record.messageId },
    };
    if (reason.status !== undefined) {
      attributes.destination_status = { DataType: "Number", StringValue: String(reason.status) };
    }
    await client.send(
      new SendMessageCommand({
        QueueUrl: deadLetterQueueUrl,
        MessageBody: record.body,
        MessageAttributes: attributes,
      }),
    );
  };
}
