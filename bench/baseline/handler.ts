import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { dynamodb, sns } from "../../lambdas/runtime/aws-clients.js";
import { loadConfig, verifierSettings } from "../../lambdas/runtime/config.js";
import { METRICS_NAMESPACE, SERVICE_NAME } from "../../lambdas/runtime/metric-names.js";
import { createSignatureVerifier } from "../../lambdas/webhook/signature-verifier.js";
import { readWebhookMessage } from "../../lambdas/webhook/webhook-message.js";
import { createBaselineProcessor } from "./baseline-processor.js";

// The baseline reads hookwatch's environment plus the one table Powertools needs.
const config = loadConfig();
const idempotencyTableName = process.env.IDEMPOTENCY_TABLE_NAME;
if (!idempotencyTableName) throw new Error("baseline configuration: IDEMPOTENCY_TABLE_NAME must be set");
const logger = new Logger({ serviceName: SERVICE_NAME });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
const batch = new BatchProcessor(EventType.SQS);

const processor = createBaselineProcessor({
  client: dynamodb,
  sns,
  topicArn: config.pagingTopicArn,
  eventsTableName: config.eventsTableName,
  counterTableName: config.stateTableName,
  idempotencyTableName,
  appIds: config.appIds,
  rules: config.burstRules,
  retentionDays: config.eventRetentionDays,
  ...(config.signatureVerification === "on"
    ? {
        verifier: createSignatureVerifier(verifierSettings(config)),
      }
    : {}),
});

/** The baseline's Lambda entry: the same SQS batch contract as hookwatch's processor. */
export async function handler(event: SQSEvent, context: Context) {
  logger.addContext(context);
  processor.registerContext(context);
  let processed = 0;
  const handleRecord = async (record: SQSRecord) => {
    const message = readWebhookMessage(record);
    const outcome = await processor.processMessage(message);
    if (outcome === "processed") processed++;
    logger.info(`message ${outcome}`, { request_id: message.requestId, message_id: record.messageId });
  };
  try {
    return await processPartialResponse(event, handleRecord, batch, { context });
  } finally {
    metrics.addMetric("MessagesProcessed", MetricUnit.Count, processed);
    metrics.publishStoredMetrics();
  }
}
