import { Duration, Validations } from "aws-cdk-lib";
import { Alarm, ComparisonOperator, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import type { RetentionDays } from "aws-cdk-lib/aws-logs";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import { SqsSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import { type IQueue, Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { type DestinationSettings, secretArnOf } from "../lambdas/destinations/destination-settings.js";
import { HookwatchFunction } from "./hookwatch-function.js";
import { powertoolsEnvironment } from "./pipeline-environment.js";
import { MIN_MAX_RECEIVE_COUNT, VISIBILITY_TIMEOUT_FACTOR } from "./webhook-queue.js";

/** The delivery function's timeout: retries with backoff run inside it, then SQS redelivers. */
export const DELIVERY_TIMEOUT = Duration.seconds(30);
/** Pages per invocation; delivered one after the other, in the order received. */
export const DELIVERY_BATCH_SIZE = 10;

export interface DeliveryDestinationProps {
  readonly destination: DestinationSettings;
  /** The paging topic; the destination's queue subscribes to it with raw message delivery. */
  readonly pagingTopic: ITopic;
  /** Where the delivery alarms notify. */
  readonly operationsTopic: ITopic;
  /** Dead-letter queue of the SNS subscription (SNS could not write to the queue). */
  readonly undeliveredQueue: IQueue;
  /** Linked from PagerDuty incidents. */
  readonly dashboardUrl: string;
  readonly logRetention: RetentionDays;
}

/**
 * One destination's delivery: its own queue subscribed to the paging topic (so an outage of one destination
 * delays no other, nor the topic's own subscribers), a delivery function fed by it, a dead-letter queue for
 * pages it refuses or that fail every receive, and alarms on the operations topic.
 */
export class DeliveryDestination extends Construct {
  readonly destinationName: string;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly handler: HookwatchFunction;
  readonly deadLetterAlarm: Alarm;
  readonly oldestPageAlarm: Alarm;

  constructor(scope: Construct, id: string, props: DeliveryDestinationProps) {
    super(scope, id);
    const { destination } = props;
    this.destinationName = destination.name;
    const common = {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    };
    this.deadLetterQueue = new Queue(this, "DeadLetterQueue", common);
    this.queue = new Queue(this, "Queue", {
      ...common,
      visibilityTimeout: Duration.seconds(DELIVERY_TIMEOUT.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MIN_MAX_RECEIVE_COUNT },
    });
    // Raw delivery: the body is the page's JSON document (the `sqs` entry of the publish), not an SNS envelope.
    props.pagingTopic.addSubscription(
      new SqsSubscription(this.queue, { rawMessageDelivery: true, deadLetterQueue: props.undeliveredQueue }),
    );

    this.handler = new HookwatchFunction(this, "Delivery", {
      entry: "lambdas/delivery/handler.ts",
      description: `hookwatch: delivers pages to the ${destination.type} destination ${destination.name}`,
      timeout: DELIVERY_TIMEOUT,
      memorySize: 256,
      environment: {
        DESTINATION: JSON.stringify(destination),
        DEAD_LETTER_QUEUE_URL: this.deadLetterQueue.queueUrl,
        DASHBOARD_URL: props.dashboardUrl,
        ...powertoolsEnvironment(),
      },
      logRetention: props.logRetention,
    });
    const fn = this.handler.function;
    fn.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: DELIVERY_BATCH_SIZE,
        // Pages are rare and ordered; two pollers at most keep a trigger and its resolve close to in order.
        maxConcurrency: 2,
        reportBatchItemFailures: true,
      }),
    );
    Secret.fromSecretCompleteArn(this, "Secret", secretArnOf(destination)).grantRead(fn);
    this.deadLetterQueue.grantSendMessages(fn);

    const action = new SnsAction(props.operationsTopic);
    this.deadLetterAlarm = new Alarm(this, "DeadLetters", {
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: "Maximum",
        period: Duration.minutes(1),
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: `hookwatch: pages for the ${destination.type} destination ${destination.name} were dead-lettered: refused by it (the answer is in the delivery logs and on each message) or failing every retry. Fix the cause, then \`npx hookwatch dlq redrive --destination ${destination.name}\`.`,
    });
    this.oldestPageAlarm = new Alarm(this, "OldestPageAge", {
      metric: this.queue.metricApproximateAgeOfOldestMessage({
        statistic: "Maximum",
        period: Duration.minutes(1),
      }),
      threshold: 300,
      evaluationPeriods: 3,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: `hookwatch: a page has waited over 5 minutes for the ${destination.type} destination ${destination.name}: it is down, throttling or unreachable, and the page is being retried. Check the delivery logs.`,
    });
    for (const alarm of [this.deadLetterAlarm, this.oldestPageAlarm]) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    this.acknowledgeFindings();
  }

  private acknowledgeFindings(): void {
    Validations.of(this.deadLetterQueue).acknowledge({
      id: "Serverless-SQSRedrivePolicy",
      reason: "This is the dead-letter queue; a dead-letter queue of its own would only move the problem.",
    });
    Validations.of(this.handler.function).acknowledge(
      {
        id: "Serverless-LambdaDLQ",
        reason:
          "Invoked synchronously by the SQS event source only; a page that keeps failing moves to the destination's dead-letter queue (redrive policy).",
      },
      {
        id: "Serverless-LambdaEventSourceMappingDestination",
        reason:
          "SQS event sources take no on-failure destination; a page that keeps failing moves to the queue's dead-letter queue through its redrive policy.",
      },
    );
  }
}
