import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context, ScheduledEvent } from "aws-lambda";
import { dynamodb, sns } from "../shared/aws-clients.js";
import { loadConfig } from "../shared/config.js";
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from "../shared/metric-names.js";
import { createSnsPager } from "../shared/sns-pager.js";
import { closeQuietBursts } from "./close-quiet-bursts.js";

const config = loadConfig();
const logger = new Logger({ serviceName: SERVICE_NAME });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
const deps = {
  tables: {
    client: dynamodb,
    eventsTableName: config.eventsTableName,
    stateTableName: config.stateTableName,
    retentionDays: config.eventRetentionDays,
  },
  pager: createSnsPager(sns, config.pagingTopicArn),
  rules: config.burstRules,
};

/** Runs every minute; "now" is the schedule's own time, so a late invocation judges the right minute. */
export async function handler(event: ScheduledEvent, context: Context) {
  logger.addContext(context);
  const nowMs = Date.parse(event.time);
  const outcome = await closeQuietBursts(deps, Number.isNaN(nowMs) ? Date.now() : nowMs);
  logger.info("recovery run", { ...outcome, time: event.time });
  metrics.addMetric(METRIC.resolvesPublished, MetricUnit.Count, outcome.resolved);
  metrics.publishStoredMetrics();
  return outcome;
}
