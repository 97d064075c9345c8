import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import {
  DYNAMODB_REQUESTS_IN_FLIGHT,
  type ProcessorDeps,
  processMessage,
} from "../../lambdas/processor/process-message.js";
import { dynamodb } from "../../lambdas/runtime/aws-clients.js";
import { createConcurrencyLimit } from "../../lambdas/runtime/concurrency-limit.js";
import { intakeRecordsFor, loadConfig, tablesFor, verifierSettings } from "../../lambdas/runtime/config.js";
import { METRICS_NAMESPACE, SERVICE_NAME } from "../../lambdas/runtime/metric-names.js";
import { MetricsRecorder } from "../../lambdas/runtime/metrics-recorder.js";
import { createSignatureVerifier } from "../../lambdas/webhook/signature-verifier.js";
import { readWebhookMessage } from "../../lambdas/webhook/webhook-message.js";

// The throughput floor: hookwatch's handler with burst detection taken out. What any correct processor
// must do per event: verify the signature, validate, write the event once.
const config = loadConfig();
const logger = new Logger({ serviceName: SERVICE_NAME });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
const batch = new BatchProcessor(EventType.SQS);
const verifier = createSignatureVerifier(verifierSettings(config));

export async function handler(event: SQSEvent, context: Context) {
  logger.addContext(context);
  const recorder = new MetricsRecorder();
  const deps: ProcessorDeps = {
    store: tablesFor(config, dynamodb),
    intake: intakeRecordsFor(config, dynamodb),
    appIds: config.appIds,
    metrics: recorder,
    dynamodbLimit: createConcurrencyLimit(DYNAMODB_REQUESTS_IN_FLIGHT),
    verifier,
  };
  const handleRecord = async (record: SQSRecord) => {
    const message = readWebhookMessage(record);
    const outcome = await processMessage(deps, message);
    logger.info(`message ${outcome.kind}`, { request_id: message.requestId, message_id: record.messageId });
  };
  try {
    return await processPartialResponse(event, handleRecord, batch, { context });
  } finally {
    recorder.flush(metrics);
  }
}
