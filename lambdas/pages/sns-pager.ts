import {
  type MessageAttributeValue,
  PublishCommand,
  type PublishCommandInput,
  type SNSClient,
} from "@aws-sdk/client-sns";
import type { BurstPage } from "./burst-page.js";
import { type FormattedPage, formatPage } from "./page-format.js";
import type { Pager } from "./pager.js";

/** Thrown when a page cannot be published as SNS requires; the message says what was wrong. */
export class PagePublishError extends Error {
  override name = "PagePublishError";
}

/**
 * Keys of the per-protocol message (`MessageStructure: "json"`). SNS requires `default` and uses it for
 * any protocol without its own key; keys it does not know are ignored.
 */
export const PROTOCOL_KEYS = [
  "default",
  "email",
  "sms",
  "email-json",
  "http",
  "https",
  "sqs",
  "lambda",
  "firehose",
] as const;
export type ProtocolKey = (typeof PROTOCOL_KEYS)[number];

// SNS: the message body plus its attributes may be at most 256 KiB (the topic default).
export const MAX_PUBLISH_BYTES = 262_144;

/** People get the text, phones the short text, everything that parses gets the JSON document. */
export function buildProtocolMessages(formatted: FormattedPage): Record<ProtocolKey, string> {
  const json = JSON.stringify(formatted.document);
  return {
    default: formatted.text,
    email: formatted.text,
    sms: formatted.sms,
    "email-json": json,
    http: json,
    https: json,
    sqs: json,
    lambda: json,
    firehose: json,
  };
}

export function buildPublishInput(topicArn: string, formatted: FormattedPage): PublishCommandInput {
  const messageAttributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(formatted.attributes)) {
    messageAttributes[name] = { DataType: "String", StringValue: value };
  }
  return {
    TopicArn: topicArn,
    Subject: formatted.subject,
    MessageStructure: "json",
    Message: JSON.stringify(buildProtocolMessages(formatted)),
    MessageAttributes: messageAttributes,
  };
}

/** Bytes SNS counts against its size limit: the body and each attribute's name, type and value. */
export function measurePublishBytes(input: PublishCommandInput): number {
  let bytes = Buffer.byteLength(input.Message ?? "") + Buffer.byteLength(input.Subject ?? "");
  for (const [name, value] of Object.entries(input.MessageAttributes ?? {})) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? "");
    bytes += Buffer.byteLength(value.StringValue ?? "");
  }
  return bytes;
}

/**
 * Publishes one page (trigger or resolve) and returns the SNS MessageId. A failed publish rejects, so
 * the caller's retry delivers the page; a repeat carries the same dedup key.
 */
export async function publishPage(client: SNSClient, topicArn: string, page: BurstPage): Promise<string> {
  return publishFormattedPage(
    client,
    topicArn,
    formatPage(page),
    `${page.action} page for the ${page.hook} hook of app ${page.appId.slice(0, 64)}`,
  );
}

/** Publishes a formatted page (a burst's, or the self-test's test page); `label` names it in errors. */
export async function publishFormattedPage(
  client: SNSClient,
  topicArn: string,
  formatted: FormattedPage,
  label: string,
): Promise<string> {
  const input = buildPublishInput(topicArn, formatted);
  // formatPage caps what webhook data can grow (samples, reasons, values); this names anything else.
  const bytes = measurePublishBytes(input);
  if (bytes > MAX_PUBLISH_BYTES) {
    throw new PagePublishError(`${label} is ${bytes} bytes, over the SNS limit of ${MAX_PUBLISH_BYTES}`);
  }
  const output = await client.send(new PublishCommand(input));
  if (!output.MessageId) {
    throw new PagePublishError(
      `SNS answered the ${formatted.document.event_action} publish without a MessageId`,
    );
  }
  return output.MessageId;
}

export function createSnsPager(client: SNSClient, topicArn: string): Pager {
  return {
    async publish(page) {
      await publishPage(client, topicArn, page);
    },
  };
}
