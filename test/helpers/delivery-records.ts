import { randomUUID } from "node:crypto";
import type { SQSRecord } from "aws-lambda";
import { buildDocument, type PageDocument } from "../../lambdas/pages/page-document.js";
import { buildResolvePage, buildTriggerPage } from "./burst-page-factory.js";

/** A page document as the paging topic publishes it for the `sqs` protocol. */
export function triggerDocument(): PageDocument {
  return buildDocument(buildTriggerPage(), "critical");
}

export function resolveDocument(): PageDocument {
  return buildDocument(buildResolvePage(), "critical");
}

/** One message of a delivery queue: the raw-delivered page document. */
export function deliveryRecord(body: string | PageDocument, messageId: string = randomUUID()): SQSRecord {
  return {
    messageId,
    receiptHandle: `receipt-${messageId}`,
    body: typeof body === "string" ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: "1764000000000",
      SenderId: "AIDASNS",
      ApproximateFirstReceiveTimestamp: "1764000000000",
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:delivery",
    awsRegion: "us-east-1",
  };
}
