import type { SQSRecord } from "aws-lambda";

/*
 * The webhook room owns reading what Prelude sent: this message contract between the ingress and the
 * processor, the signature check (signature-verifier, with the JWKS cache), the validation of each event
 * (event-validation), storing each event exactly once (event-store), and keeping what could not be
 * accepted, with its reason (intake-records). It never decides about bursts or pages: it only tells the
 * processor what it stored.
 */

/**
 * The contract between the ingress (API Gateway, or the local endpoint) and the processor:
 * one SQS message is one webhook POST. The body is the raw request body, byte for byte;
 * everything else travels as String message attributes with these names.
 */
export const WEBHOOK_ATTRIBUTES = {
  signature: "Signature",
  signatureKeyId: "SignatureKeyId",
  requestId: "RequestId",
  receivedAt: "ReceivedAt",
} as const;

/** The HTTP headers that carry what the attributes above hold. */
export const WEBHOOK_HEADERS = {
  signature: "X-Webhook-Signature",
  signatureKeyId: "X-Webhook-Signature-Key-Id",
} as const;

export interface WebhookMessage {
  /** The raw request body exactly as Prelude sent it. */
  readonly body: string;
  /** `X-Webhook-Signature`, absent when the request had none. */
  readonly signature?: string;
  /** `X-Webhook-Signature-Key-Id`, absent when the request had none. */
  readonly signatureKeyId?: string;
  /** API Gateway's request id (or the local endpoint's), for tracing a POST end to end. */
  readonly requestId: string;
  /** When the POST arrived, epoch milliseconds. */
  readonly receivedAt: number;
}

type AttributeMap = Record<string, { DataType: "String"; StringValue: string }>;

/** The `SendMessage` parameters for one webhook POST; what the local endpoint and tests send. */
export function toSendMessageInput(message: WebhookMessage): {
  MessageBody: string;
  MessageAttributes: AttributeMap;
} {
  const attributes: AttributeMap = {
    [WEBHOOK_ATTRIBUTES.requestId]: { DataType: "String", StringValue: message.requestId },
    [WEBHOOK_ATTRIBUTES.receivedAt]: { DataType: "String", StringValue: String(message.receivedAt) },
  };
  // SQS refuses empty attribute values, so an absent header is an absent attribute.
  if (message.signature) {
    attributes[WEBHOOK_ATTRIBUTES.signature] = { DataType: "String", StringValue: message.signature };
  }
  if (message.signatureKeyId) {
    attributes[WEBHOOK_ATTRIBUTES.signatureKeyId] = {
      DataType: "String",
      StringValue: message.signatureKeyId,
    };
  }
  return { MessageBody: message.body, MessageAttributes: attributes };
}

/** Reads one SQS record as the webhook POST it carries. */
export function readWebhookMessage(record: SQSRecord): WebhookMessage {
  const attribute = (name: string): string | undefined => {
    const value = record.messageAttributes?.[name]?.stringValue;
    return value === undefined || value === "" ? undefined : value;
  };
  const receivedAt = Number(attribute(WEBHOOK_ATTRIBUTES.receivedAt));
  const signature = attribute(WEBHOOK_ATTRIBUTES.signature);
  const signatureKeyId = attribute(WEBHOOK_ATTRIBUTES.signatureKeyId);
  return {
    body: record.body,
    requestId: attribute(WEBHOOK_ATTRIBUTES.requestId) ?? record.messageId,
    // Fall back to the time SQS accepted the message when the attribute is missing or garbled.
    receivedAt:
      Number.isFinite(receivedAt) && receivedAt > 0 ? receivedAt : Number(record.attributes.SentTimestamp),
    ...(signature === undefined ? {} : { signature }),
    ...(signatureKeyId === undefined ? {} : { signatureKeyId }),
  };
}
