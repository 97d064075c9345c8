import { Duration } from "aws-cdk-lib";
import type { Stage } from "aws-cdk-lib/aws-apigateway";
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  Metric,
  TreatMissingData,
} from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from "../lambdas/runtime/metric-names.js";

/** A hookwatch metric that carries only the `service` dimension (message and paging metrics). */
export function serviceMetric(metricName: string, period = Duration.minutes(5)): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: SERVICE_NAME },
    statistic: "Sum",
    period,
  });
}

export interface OperationsAlarmsProps {
  /** Where alarm and OK notifications go. */
  readonly operationsTopic: ITopic;
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  /** Dead-letter queue of the SNS subscriptions. */
  readonly undeliveredQueue: IQueue;
  readonly processor: IFunction;
  readonly recovery: IFunction;
  readonly apiStage: Stage;
  /** Webhook POSTs the gateway refused with a 4xx (`WebhookIngress.refusedPosts`). */
  readonly refusedPosts: IMetric;
  /**
   * Age of the oldest queued webhook that means the processor is not keeping up.
   * @default Duration.minutes(5)
   */
  readonly maxMessageAge?: Duration;
}

/**
 * Operational alarms about hookwatch itself (not pages about the user's hooks). Each notifies
 * the operations topic when it fires and when it recovers. docs/deploy.md ("Alarms") explains each one.
 */
export class OperationsAlarms extends Construct {
  readonly deadLetterQueueDepth: Alarm;
  readonly oldestMessageAge: Alarm;
  readonly processorErrors: Alarm;
  readonly recoveryErrors: Alarm;
  readonly api5xx: Alarm;
  readonly api4xx: Alarm;
  readonly messagesRejected: Alarm;
  readonly notificationsUndelivered: Alarm;

  constructor(scope: Construct, id: string, props: OperationsAlarmsProps) {
    super(scope, id);
    const maxMessageAge = props.maxMessageAge ?? Duration.minutes(5);
    if (maxMessageAge.toSeconds() < 60) {
      throw new Error(`OperationsAlarms ${id}: maxMessageAge must be at least one minute`);
    }
    const oneMinute = Duration.minutes(1);
    const fiveMinutes = Duration.minutes(5);

    this.deadLetterQueueDepth = this.alarm("DeadLetterQueueDepth", {
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: "Maximum",
        period: oneMinute,
      }),
      threshold: 1,
      description:
        "Webhook POSTs failed processing after every retry and sit in the dead-letter queue: their events are not stored. Check the processor logs, fix the cause, then redrive the dead-letter queue.",
    });
    this.oldestMessageAge = this.alarm("OldestMessageAge", {
      metric: props.queue.metricApproximateAgeOfOldestMessage({ statistic: "Maximum", period: oneMinute }),
      threshold: maxMessageAge.toSeconds(),
      evaluationPeriods: 3,
      description: `A webhook has waited over ${maxMessageAge.toMinutes()} minutes in the queue: the processor is failing, throttled or too slow, so pages are late. Check processor errors and throttles.`,
    });
    this.processorErrors = this.alarm("ProcessorErrors", {
      metric: props.processor.metricErrors({ statistic: "Sum", period: fiveMinutes }),
      threshold: 1,
      description:
        "The processor failed whole invocations (a crash, a timeout or bad configuration); its messages are retried and may reach the dead-letter queue. Check the processor logs.",
    });
    this.recoveryErrors = this.alarm("RecoveryErrors", {
      metric: props.recovery.metricErrors({ statistic: "Sum", period: oneMinute }),
      threshold: 1,
      evaluationPeriods: 3,
      description:
        "The recovery function failed three minutes in a row: open bursts are not resolved and no 'resolved' messages are sent. Check the recovery logs.",
    });
    this.api5xx = this.alarm("Api5xx", {
      metric: props.apiStage.metricServerError({ statistic: "Sum", period: fiveMinutes }),
      threshold: 1,
      description:
        "The webhook endpoint answered 5xx: API Gateway could not queue a POST (SQS throttling, permissions) or the challenge function failed. Prelude retries, but check the access logs' integrationError.",
    });
    this.api4xx = this.alarm("Api4xx", {
      metric: props.refusedPosts,
      threshold: 1,
      description:
        "The webhook endpoint refused a webhook POST with a 4xx before it reached the queue: a body over the queue's 1 MiB (400), a content type without a template (415), a body that is not a JSON object or no X-Webhook-Signature (400), throttling (429). Prelude retries a refused POST for two weeks, then drops it. The access log line's status, errorType, errorMessage, validationError and integrationStatus say why.",
    });
    this.messagesRejected = this.alarm("MessagesRejected", {
      metric: serviceMetric(METRIC.messagesRejected),
      threshold: 1,
      description:
        "Webhooks were rejected: bad or missing signature, or an app_id not configured. Either someone is posting forgeries, or the app ids / JWKS / signature settings do not match Prelude's. Rejected messages are kept in the state table.",
    });
    this.notificationsUndelivered = this.alarm("NotificationsUndelivered", {
      metric: props.undeliveredQueue.metricApproximateNumberOfMessagesVisible({
        statistic: "Maximum",
        period: oneMinute,
      }),
      threshold: 1,
      description:
        "SNS could not deliver a page or alarm to a subscriber (a dead HTTPS endpoint, an SMS failure); the notification is in the undelivered queue. Check the subscriptions.",
    });

    const action = new SnsAction(props.operationsTopic);
    for (const alarm of this.all) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }

  /** Every alarm, for the dashboard. */
  get all(): Alarm[] {
    return [
      this.deadLetterQueueDepth,
      this.oldestMessageAge,
      this.processorErrors,
      this.recoveryErrors,
      this.api5xx,
      this.api4xx,
      this.messagesRejected,
      this.notificationsUndelivered,
    ];
  }

  private alarm(
    id: string,
    options: { metric: IMetric; threshold: number; description: string; evaluationPeriods?: number },
  ): Alarm {
    return new Alarm(this, id, {
      metric: options.metric,
      threshold: options.threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: `hookwatch: ${options.description}`,
    });
  }
}
