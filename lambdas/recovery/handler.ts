import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context, ScheduledEvent } from "aws-lambda";
import { reportingPager } from "../pages/pager.js";
import { createSnsPager } from "../pages/sns-pager.js";
import { dynamodb, sns } from "../runtime/aws-clients.js";
import { loadConfig, tablesFor } from "../runtime/config.js";
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from "../runtime/metric-names.js";
import { closeQuietBursts } from "./close-quiet-bursts.js";

const config = loadConfig();
const logger = new Logger({ serviceName: SERVICE_NAME });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
const published = { pages: 0, resolves: 0 };
const deps = {
  tables: tablesFor(config, dynamodb),
  pager: reportingPager(createSnsPager(sns, config.pagingTopicArn), (page) => {
    if (page.action === "trigger") published.pages++;
    else published.resolves++;
  }),
  rules: config.burstRules,
};

/** Runs every minute; "now" is the schedule's own time, so a late invocation judges the right minute. */
export async function handler(event: ScheduledEvent, context: Context) {
  logger.addContext(context);
  published.pages = 0;
  published.resolves = 0;
  const nowMs = Date.parse(event.time);
  const outcome = await closeQuietBursts(deps, Number.isNaN(nowMs) ? Date.now() : nowMs);
  logger.info("recovery run", { ...outcome, time: event.time });
  metrics.addMetric(METRIC.pagesPublished, MetricUnit.Count, published.pages);
  metrics.addMetric(METRIC.resolvesPublished, MetricUnit.Count, published.resolves);
  metrics.publishStoredMetrics();
  return outcome;
}
