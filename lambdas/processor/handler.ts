import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { dynamodb, sns } from "../shared/aws-clients.js";
import { reportingPager } from "../shared/burst-publishing.js";
import { createBurstTracker } from "../shared/burst-tracker.js";
import { intakeRecordsFor, loadConfig, tablesFor, verifierSettings } from "../shared/config.js";
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from "../shared/metric-names.js";
import { MetricsRecorder } from "../shared/metrics-recorder.js";
import { loadSecretString } from "../shared/secret-string.js";
import { createSignatureVerifier } from "../shared/signature-verifier.js";
import { createSnsPager } from "../shared/sns-pager.js";
import { readWebhookMessage } from "../shared/webhook-message.js";
import { type ProcessorDeps, processMessage } from "./process-message.js";

const config = loadConfig();
const logger = new Logger({ serviceName: SERVICE_NAME });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
const batch = new BatchProcessor(EventType.SQS);

if (config.signatureVerification === "off") {
  logger.warn(
    "signature verification is OFF (SIGNATURE_VERIFICATION=off): anyone who knows the URL can post events",
  );
}
const verifier =
  config.signatureVerification === "on"
    ? createSignatureVerifier({
        ...verifierSettings(config),
        ...(config.hmacSecretArn === undefined
          ? {}
          : { hmacSecret: loadSecretString(config.hmacSecretArn, { label: "HMAC secret" }) }),
      })
    : undefined;
const tables = tablesFor(config, dynamodb);
const intake = intakeRecordsFor(config, dynamodb);
const pager = createSnsPager(sns, config.pagingTopicArn);

export async function handler(event: SQSEvent, context: Context) {
  logger.addContext(context);
  const recorder = new MetricsRecorder();
  const deps: ProcessorDeps = {
    store: tables,
    intake,
    appIds: config.appIds,
    metrics: recorder,
    bursts: createBurstTracker({
      tables,
      pager: reportingPager(pager, (page) =>
        recorder.count(page.action === "trigger" ? METRIC.pagesPublished : METRIC.resolvesPublished),
      ),
      rules: config.burstRules,
      now: Date.now,
      onUnpagedWindow: (group, window) =>
        logger.warn("late burst window while another burst of the group is open; counted, not paged", {
          ...group,
          window_start: new Date(window.startMs).toISOString(),
        }),
    }),
    ...(verifier === undefined ? {} : { verifier }),
  };

  const handleRecord = async (record: SQSRecord) => {
    const message = readWebhookMessage(record);
    const outcome = await processMessage(deps, message);
    const fields = { request_id: message.requestId, message_id: record.messageId };
    if (outcome.kind === "processed")
      logger.info("message processed", { ...fields, app_id: outcome.appId, events: outcome.events });
    else logger.warn(`message ${outcome.kind}`, { ...fields, reason: outcome.reason });
  };

  try {
    return await processPartialResponse(event, handleRecord, batch, { context });
  } finally {
    recorder.flush(metrics);
  }
}
