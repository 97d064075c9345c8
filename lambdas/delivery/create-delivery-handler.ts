import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { createDeadLetterSender } from "../destinations/dead-letter.js";
import { deliverPages } from "../destinations/deliver-pages.js";
import { loadDeliveryConfig, secretArnOf } from "../destinations/destination-settings.js";
import { sqs } from "../runtime/aws-clients.js";
import { METRICS_NAMESPACE, SERVICE_NAME } from "../runtime/metric-names.js";
import { MetricsRecorder } from "../runtime/metrics-recorder.js";
import { loadSecretString } from "../runtime/secret-string.js";

/**
 * The delivery handler for the destination an environment names. A factory, so the local pipeline can run
 * one per destination in a single process; in Lambda, `handler.ts` makes the one its environment names.
 */
export function createDeliveryHandler(
  env: NodeJS.ProcessEnv,
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const config = loadDeliveryConfig(env);
  const { destination } = config;
  const logger = new Logger({ serviceName: SERVICE_NAME, persistentKeys: { destination: destination.name } });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
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

  return async (event, context) => {
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
  };
}
