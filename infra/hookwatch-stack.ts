import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { ActivationChallenge } from "./activation-challenge.js";
import { type HookwatchConfig, readHookwatchConfig } from "./config.js";
import { DeliveryDestination } from "./delivery-destination.js";
import { EventTables } from "./event-tables.js";
import { OperationsAlarms } from "./operations-alarms.js";
import { OperationsDashboard } from "./operations-dashboard.js";
import { PagingTopics } from "./paging-topics.js";
import { PROCESSOR_BATCHING_WINDOW, PROCESSOR_TIMEOUT, ProcessorFunctions } from "./processor-functions.js";
import { WebhookIngress } from "./webhook-ingress.js";
import { WebhookQueue } from "./webhook-queue.js";

export interface HookwatchStackProps extends StackProps {
  /**
   * The deployment's settings.
   * @default read and validated from the CDK context (`cdk.json`, `-c key=value`)
   */
  readonly config?: HookwatchConfig;
}

/** The whole pipeline: API Gateway → SQS → processor → DynamoDB and SNS, plus the recovery schedule. */
export class HookwatchStack extends Stack {
  readonly config: HookwatchConfig;
  readonly tables: EventTables;
  readonly queue: WebhookQueue;
  readonly topics: PagingTopics;
  readonly challenge: ActivationChallenge;
  readonly ingress: WebhookIngress;
  readonly functions: ProcessorFunctions;
  readonly alarms: OperationsAlarms;
  readonly dashboard: OperationsDashboard;
  /** One per configured destination; none when `destinations` is empty. */
  readonly deliveries: readonly DeliveryDestination[];

  constructor(scope: Construct, id: string, props: HookwatchStackProps = {}) {
    super(scope, id, {
      description: "hookwatch: receives Prelude hook-failure webhooks, stores each event once, pages bursts",
      ...props,
    });
    const config = props.config ?? readHookwatchConfig(this);
    this.config = config;

    this.tables = new EventTables(this, "Tables");
    this.queue = new WebhookQueue(this, "Webhooks", {
      consumerTimeout: PROCESSOR_TIMEOUT,
      consumerBatchingWindow: PROCESSOR_BATCHING_WINDOW,
    });
    this.topics = new PagingTopics(this, "Topics", { paging: config.paging, operations: config.operations });
    this.challenge = new ActivationChallenge(this, "Challenge", {
      appIds: config.appIds,
      logRetention: config.logRetention,
      ...(config.verificationTokenSecretArn === undefined
        ? {}
        : { tokenSecretArn: config.verificationTokenSecretArn }),
    });
    this.ingress = new WebhookIngress(this, "Ingress", {
      queue: this.queue.queue,
      challengeHandler: this.challenge.handler.function,
      requireSignature: config.signatureVerification === "on",
      throttling: config.throttling,
      logRetention: config.logRetention,
    });
    this.functions = new ProcessorFunctions(this, "Functions", {
      config,
      queue: this.queue.queue,
      tables: this.tables,
      pagingTopic: this.topics.paging,
    });
    this.alarms = new OperationsAlarms(this, "Alarms", {
      operationsTopic: this.topics.operations,
      queue: this.queue.queue,
      deadLetterQueue: this.queue.deadLetterQueue,
      undeliveredQueue: this.topics.undeliveredQueue,
      processor: this.functions.processor.function,
      recovery: this.functions.recovery.function,
      apiStage: this.ingress.api.deploymentStage,
      refusedPosts: this.ingress.refusedPosts,
    });
    this.dashboard = new OperationsDashboard(this, "Operations", {
      queue: this.queue.queue,
      deadLetterQueue: this.queue.deadLetterQueue,
      processor: this.functions.processor.function,
      recovery: this.functions.recovery.function,
      apiStage: this.ingress.api.deploymentStage,
      alarms: this.alarms.all,
    });
    const dashboardUrl = `https://console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${this.dashboard.dashboard.dashboardName}`;
    this.deliveries = config.destinations.map(
      (destination) =>
        new DeliveryDestination(this, `Delivery-${destination.name}`, {
          destination,
          pagingTopic: this.topics.paging,
          operationsTopic: this.topics.operations,
          undeliveredQueue: this.topics.undeliveredQueue,
          dashboardUrl,
          logRetention: config.logRetention,
        }),
    );

    this.output("WebhookUrl", this.ingress.webhookUrl, "Register this URL as the webhook in Prelude");
    this.output(
      "VerificationTokenCommand",
      this.challenge.printTokenCommand,
      "Prints the verification token to register with Prelude",
    );
    this.output(
      "PagingTopicArn",
      this.topics.paging.topicArn,
      "Subscribe on-call here: burst pages and resolves",
    );
    this.output(
      "OperationsTopicArn",
      this.topics.operations.topicArn,
      "Subscribe operators here: alarms about hookwatch itself",
    );
    this.output("EventsTableName", this.tables.events.tableName, "One item per Prelude event");
    this.output(
      "StateTableName",
      this.tables.state.tableName,
      "Bursts, rejected and quarantined input, conflicts",
    );
    this.output(
      "AppIds",
      config.appIds.join(","),
      "The Prelude apps this stack accepts (the CLI lists their events)",
    );
    this.output("QueueUrl", this.queue.queue.queueUrl, "The queue API Gateway writes each webhook POST to");
    this.output(
      "DeadLetterQueueUrl",
      this.queue.deadLetterQueue.queueUrl,
      "Webhook POSTs that failed processing after every retry",
    );
    this.output("DashboardUrl", dashboardUrl, "The operations dashboard");
    if (this.deliveries.length > 0) {
      this.output(
        "DeliveryDeadLetterQueues",
        this.deliveries
          .map((delivery) => `${delivery.destinationName}=${delivery.deadLetterQueue.queueUrl}`)
          .join(","),
        "Each destination's dead-letter queue (name=URL, comma-separated), for `npx hookwatch dlq --destination NAME`",
      );
    }
  }

  private output(id: string, value: string, description: string): void {
    new CfnOutput(this, id, { value, description });
  }
}
