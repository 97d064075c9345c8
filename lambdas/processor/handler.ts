import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { createBurstTracker } from "../bursts/burst-tracker.js";
import { publishedMetric, reportingPager } from "../pages/pager.js";
import { createSnsPager } from "../pages/sns-pager.js";
import { dynamodb, sns } from "../runtime/aws-clients.js";
import { createConcurrencyLimit } from "../runtime/concurrency-limit.js";
import { intakeRecordsFor, loadConfig, tablesFor, verifierSettings } from "../runtime/config.js";
import { HOOKS } from "../runtime/hooks.js";
import { METRICS_NAMESPACE, SERVICE_NAME } from "../runtime/metric-names.js";
import { MetricsRecorder } from "../runtime/metrics-recorder.js";
import { loadSecretString } from "../runtime/secret-string.js";
import { createSilenceLookup } from "../silences/silence-lookup.js";
import type { Silence } from "../silences/silence-record.js";
import { createStormTracker } from "../storms/storm-tracker.js";
import { createSignatureVerifier } from "../webhook/signature-verifier.js";
import { readWebhookMessage } from "../webhook/webhook-message.js";
import {
  countOutcomes,
  DYNAMODB_REQUESTS_IN_FLIGHT,
  type ProcessorDeps,
  processMessage,
} from "./process-message.js";

const config = loadConfig();
const logger = new Logger({ serviceName: SERVICE_NAME });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

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
const stormsOn = HOOKS.some((hook) => config.burstRules[hook].responseStorm !== undefined);

/** A hook is down and nobody is paged: said once per burst, so the logs explain the quiet. */
function logSilenced(dedupKey: string, silence: Silence) {
  logger.warn("burst held by a silence: stored and counted, not paged until the silence ends", {
    dedup_key: dedupKey,
    silence_id: silence.id,
    silence_ends_at: new Date(silence.endsAtMs).toISOString(),
    silence_reason: silence.reason,
    silence_created_by: silence.createdBy,
  });
}

export async function handler(event: SQSEvent, context: Context) {
  logger.addContext(context);
  const recorder = new MetricsRecorder();
  const reporting = reportingPager(pager, (page) => recorder.count(publishedMetric(page)));
  const deps: ProcessorDeps = {
    store: tables,
    intake,
    appIds: config.appIds,
    metrics: recorder,
    dynamodbLimit: createConcurrencyLimit(DYNAMODB_REQUESTS_IN_FLIGHT),
    bursts: createBurstTracker({
      tables,
      pager: reporting,
      rules: config.burstRules,
      silences: createSilenceLookup(tables),
      onSilenced: (burst, silence) => logSilenced(burst.dedupKey, silence),
      now: Date.now,
      onUnpagedWindow: (group, window) =>
        logger.warn("late burst window while another burst of the group is open; counted, not paged", {
          ...group,
          window_start: new Date(window.startMs).toISOString(),
        }),
    }),
    ...(stormsOn
      ? { storms: createStormTracker({ tables, pager: reporting, rules: config.burstRules, now: Date.now }) }
      : {}),
    ...(verifier === undefined ? {} : { verifier }),
  };

  const handleRecord = async (record: SQSRecord) => {
    const fields: Record<string, unknown> = {
      message_id: record.messageId,
      receive_count: Number(record.attributes.ApproximateReceiveCount),
    };
    try {
      const message = readWebhookMessage(record);
      fields.request_id = message.requestId;
      const outcome = await processMessage(deps, message);
      if (outcome.kind === "processed") {
        const outcomes = countOutcomes(outcome.events);
        logger.info("message processed", { ...fields, app_id: outcome.appId, outcomes });
      } else logger.warn(`message ${outcome.kind}`, { ...fields, reason: outcome.reason });
    } catch (error) {
      // Powertools keeps a failed record's error to itself: this is the one line that says why it comes back.
      logger.error("message failed; left on the queue for SQS to deliver again", { ...fields, error });
      throw error;
    }
  };

  try {
    // A processor per invocation: its state is one batch's, and `npm start` runs several invocations at once.
    const batch = new BatchProcessor(EventType.SQS);
    return await processPartialResponse(event, handleRecord, batch, { context });
  } finally {
    recorder.flush(metrics);
  }
}
