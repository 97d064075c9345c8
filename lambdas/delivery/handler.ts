import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { Context, SQSEvent } from "aws-lambda";
import { createDeadLetterSender } from "../destinations/dead-letter.js";
import { deliverPages } from "../destinations/deliver-pages.js";
import { loadDeliveryConfig, secretArnOf } from "../destinations/destination-settings.js";
import { sqs } from "../runtime/aws-clients.js";
import { METRICS_NAMESPACE, SERVICE_NAME } from "../runtime/metric-names.js";
import { MetricsRecorder } from "../runtime/metrics-recorder.js";
import { loadSecretString } from "../runtime/secret-string.js";

const config = loadDeliveryConfig();
const logger = new Logger({ serviceName: SERVICE_NAME });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
const { destination } = config;
const deps = {
  destination,
  // Cached a minute: a rotated key or secret is picked up soon, without a cold start.
  readSecret: loadSecretString(secretArnOf(destination), {
    label: `${destination.type} secret of destination ${destination.name}`,
    cacheSeconds: 60,
  }),
  deadLetter: createDeadLetterSender(sqs, config.deadLetterQueueUrl),
  log: logger,
  ...(config.dashboardUrl === undefined ? {} : { dashboardUrl: config.dashboardUrl }),
};

/** Fed by the destination's own queue (subscribed to the paging topic): delivers each page to it. */
export async function handler(event: SQSEvent, context: Context) {
  logger.addContext(context);
  const recorder = new MetricsRecorder();
  try {
    return await deliverPages(
      { ...deps, metrics: recorder },
      event.Records,
      Date.now() + context.getRemainingTimeInMillis(),
    );
  } finally {
    recorder.flush(metrics);
  }
}
