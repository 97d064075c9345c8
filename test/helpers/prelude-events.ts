import { randomUUID } from "node:crypto";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { toSendMessageInput, type WebhookMessage } from "../../lambdas/webhook/webhook-message.js";

export const APP_ID = "app_test";
type Fields = Record<string, unknown>;

/** A `migration.hook_failed` event with the payload fields at the top level. */
export function migrationFailure(fields: Fields = {}): Fields {
  return {
    type: "migration.hook_failed",
    reason: "request_failed",
    occurred_at: "2026-11-20T10:00:00Z",
    dispatch_id: randomUUID(),
    correlation_id: `corr_${randomUUID().slice(0, 8)}`,
    ...fields,
  };
}

/** `count` migration transport failures, one second apart from `fromMs`. */
export function migrationFailuresFrom(count: number, fromMs: number): Fields[] {
  return Array.from({ length: count }, (_, index) =>
    migrationFailure({ occurred_at: new Date(fromMs + index * 1000).toISOString() }),
  );
}

/** A `step_up.hook_failed` event with the payload fields at the top level. */
export function stepUpFailure(fields: Fields = {}): Fields {
  return {
    type: "step_up.hook_failed",
    user_id: `usr_${randomUUID().slice(0, 12)}`,
    session_id: `ses_${randomUUID().slice(0, 12)}`,
    scope: "transfer_funds",
    reason: "request_failed",
    occurred_at: "2026-11-20T10:00:00Z",
    dispatch_id: randomUUID(),
    ...fields,
  };
}

/** The same event in Prelude's wrapped shape `{id, type, payload, created_at}`. */
export function wrapped(event: Fields, id = `evt_${randomUUID().slice(0, 12)}`): Fields {
  const { type, ...payload } = event;
  return { id, type, payload, created_at: "2026-11-20T10:00:01Z" };
}

export function batchBody(events: readonly unknown[], appId = APP_ID): string {
  return JSON.stringify({ app_id: appId, events });
}

/** `occurred_at` `seconds` after a base time, as Prelude writes it. */
export function at(seconds: number, base = Date.parse("2026-11-20T10:00:00Z")): string {
  return new Date(base + seconds * 1000).toISOString();
}

export function webhookMessage(body: string, fields: Partial<WebhookMessage> = {}): WebhookMessage {
  return { body, requestId: `req-${randomUUID()}`, receivedAt: Date.now(), ...fields };
}

/** An SQS record as Lambda's event source delivers it, built through the shared message contract. */
export function sqsRecord(message: WebhookMessage, messageId: string = randomUUID()): SQSRecord {
  const input = toSendMessageInput(message);
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body: input.MessageBody,
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: String(message.receivedAt),
      SenderId: "apigateway",
      ApproximateFirstReceiveTimestamp: String(message.receivedAt),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(input.MessageAttributes).map(([name, value]) => [
        name,
        {
          dataType: value.DataType,
          stringValue: value.StringValue,
          stringListValues: [],
          binaryListValues: [],
        },
      ]),
    ),
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:hookwatch-webhooks",
    awsRegion: "us-east-1",
  };
}

export function sqsEvent(records: readonly SQSRecord[]): SQSEvent {
  return { Records: [...records] };
}
