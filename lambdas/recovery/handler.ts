import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context, ScheduledEvent } from "aws-lambda";
import { publishedMetric, reportingPager } from "../pages/pager.js";
import { createSnsPager } from "../pages/sns-pager.js";
import { dynamodb, sns } from "../runtime/aws-clients.js";
import { loadConfig, tablesFor } from "../runtime/config.js";
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from "../runtime/metric-names.js";
import { createSilenceLookup } from "../silences/silence-lookup.js";
import { closeQuietBursts } from "./close-quiet-bursts.js";
import { closeQuietStorms } from "./close-quiet-storms.js";

const config = loadConfig();
const logger = new Logger({ serviceName: SERVICE_NAME });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
const PUBLISHED_METRICS = [
  METRIC.pagesPublished,
  METRIC.remindersPublished,
  METRIC.warningsPublished,
  METRIC.resolvesPublished,
] as const;
const published = new Map<string, number>();
const deps = {
  tables: tablesFor(config, dynamodb),
  pager: reportingPager(createSnsPager(sns, config.pagingTopicArn), (page) => {
    const metric = publishedMetric(page);
    published.set(metric, (published.get(metric) ?? 0) + 1);
  }),
  rules: config.burstRules,
};

/** Runs every minute; "now" is the schedule's own time, so a late invocation judges the right minute. */
export async function handler(event: ScheduledEvent, context: Context) {
  logger.addContext(context);
  published.clear();
  const scheduled = Date.parse(event.time);
  const nowMs = Number.isNaN(scheduled) ? Date.now() : scheduled;
  try {
    // Storms are closed even when a burst's publish failed: one outage must not hold the other's resolve.
    // Silences are read afresh each run: one that ended since the last run releases its held pages now.
    const run = { ...deps, silences: createSilenceLookup(deps.tables) };
    const [bursts, storms] = await Promise.allSettled([
      closeQuietBursts(run, nowMs),
      closeQuietStorms(deps, nowMs),
    ]);
    if (bursts.status === "rejected") throw bursts.reason;
    if (storms.status === "rejected") throw storms.reason;
    const outcome = { ...bursts.value, storms: storms.value };
    logger.info("recovery run", { ...outcome, time: event.time });
    return outcome;
  } finally {
    for (const metric of PUBLISHED_METRICS) {
      metrics.addMetric(metric, MetricUnit.Count, published.get(metric) ?? 0);
    }
    metrics.publishStoredMetrics();
  }
}
