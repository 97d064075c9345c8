import { Duration, Validations } from "aws-cdk-lib";
import { Rule, Schedule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { HookwatchConfig } from "./config.js";
import type { EventTables } from "./event-tables.js";
import { HookwatchFunction } from "./hookwatch-function.js";
import { acknowledgeIndexWildcard } from "./nag-checks.js";
import { buildPipelineEnvironment } from "./pipeline-environment.js";

/** Processor timeout; the queue's visibility timeout is derived from it. */
export const PROCESSOR_TIMEOUT = Duration.seconds(30);
/** How long the event source may wait to fill a batch: a page should not wait for traffic. */
export const PROCESSOR_BATCHING_WINDOW = Duration.seconds(1);
/** SQS messages per invocation; one message is one webhook POST. */
export const PROCESSOR_BATCH_SIZE = 10;

export interface ProcessorFunctionsProps {
  readonly config: HookwatchConfig;
  /** The queue API Gateway writes webhook POSTs to. */
  readonly queue: IQueue;
  readonly tables: EventTables;
  /** Where burst pages and resolves are published. */
  readonly pagingTopic: ITopic;
}

/**
 * The processor (consumes the webhook queue: verify, validate, store, page) and the recovery
 * function (every minute: closes quiet bursts and publishes their resolves). Both get the same
 * environment, built in one place from the validated configuration.
 */
export class ProcessorFunctions extends Construct {
  readonly processor: HookwatchFunction;
  readonly recovery: HookwatchFunction;
  readonly eventSource: SqsEventSource;
  readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: ProcessorFunctionsProps) {
    super(scope, id);
    const { config, tables, pagingTopic } = props;
    if (config.jwksFetchTimeoutMs >= PROCESSOR_TIMEOUT.toMilliseconds()) {
      throw new Error(
        `ProcessorFunctions ${id}: the JWKS fetch timeout (${config.jwksFetchTimeoutMs} ms) must be shorter than the processor timeout (${PROCESSOR_TIMEOUT.toSeconds()} s)`,
      );
    }
    const environment = buildPipelineEnvironment(config, {
      eventsTableName: tables.events.tableName,
      stateTableName: tables.state.tableName,
      pagingTopicArn: pagingTopic.topicArn,
    });

    this.processor = new HookwatchFunction(this, "Processor", {
      entry: "lambdas/processor/handler.ts",
      description: "hookwatch: verifies, validates and stores Prelude webhook events; pages bursts",
      timeout: PROCESSOR_TIMEOUT,
      memorySize: 512,
      environment,
      logRetention: config.logRetention,
    });
    const processor = this.processor.function;
    this.eventSource = new SqsEventSource(props.queue, {
      batchSize: PROCESSOR_BATCH_SIZE,
      maxBatchingWindow: PROCESSOR_BATCHING_WINDOW,
      // Caps the write rate on DynamoDB and the publish rate on SNS during a delivery storm.
      maxConcurrency: config.processorMaxConcurrency,
      reportBatchItemFailures: true,
    });
    processor.addEventSource(this.eventSource);
    tables.events.grantReadWriteData(processor);
    tables.state.grantReadWriteData(processor);
    pagingTopic.grantPublish(processor);
    if (config.hmacSecretArn !== undefined) {
      Secret.fromSecretCompleteArn(this, "HmacSecret", config.hmacSecretArn).grantRead(processor);
    }

    this.recovery = new HookwatchFunction(this, "Recovery", {
      entry: "lambdas/recovery/handler.ts",
      description: "hookwatch: closes quiet bursts and publishes their resolves (every minute)",
      timeout: Duration.seconds(50),
      memorySize: 256,
      environment,
      logRetention: config.logRetention,
      // The next run, a minute later, does the same work; a retry would only overlap it.
      retryAttempts: 0,
    });
    const recovery = this.recovery.function;
    tables.state.grantReadWriteData(recovery);
    tables.events.grantReadData(recovery);
    pagingTopic.grantPublish(recovery);

    this.schedule = new Rule(this, "EveryMinute", {
      description: "hookwatch: runs the recovery function every minute",
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [new LambdaFunction(recovery, { retryAttempts: 2, maxEventAge: Duration.minutes(2) })],
    });

    this.acknowledgeFindings(tables);
  }

  private acknowledgeFindings(tables: EventTables): void {
    for (const fn of [this.processor, this.recovery]) {
      for (const table of [tables.events, tables.state]) {
        acknowledgeIndexWildcard(
          fn,
          table,
          "Written by the table's grant* method: `/index/*` covers only this table's own indexes (by-hook, open-bursts), which the function queries.",
        );
      }
      Validations.of(fn).acknowledge({
        id: "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
        reason:
          "Written by the paging topic's grantPublish: publishing to a KMS-encrypted topic needs GenerateDataKey*, and the statement is scoped to the topic key alone.",
      });
    }
    // The event source mapping is a child of the function, so this covers it too.
    Validations.of(this.processor.function).acknowledge(
      {
        id: "Serverless-LambdaDLQ",
        reason:
          "Invoked synchronously by the SQS event source only; a message that keeps failing moves to the webhook queue's dead-letter queue (redrive policy).",
      },
      {
        id: "Serverless-LambdaEventSourceMappingDestination",
        reason:
          "SQS event sources take no on-failure destination (only stream and Kafka sources do); a message that keeps failing moves to the queue's dead-letter queue through its redrive policy.",
      },
    );
    Validations.of(this.recovery.function).acknowledge(
      {
        id: "Serverless-LambdaDLQ",
        reason:
          "A scheduled run carries no data worth keeping: the next run a minute later redoes the same work, and the Errors alarm reports a failing run.",
      },
      {
        id: "Serverless-LambdaAsyncFailureDestination",
        reason:
          "A failed scheduled run is superseded by the next one a minute later; failures are counted by the recovery errors alarm.",
      },
    );
    Validations.of(this.schedule).acknowledge({
      id: "Serverless-EventBusDLQ",
      reason:
        "An undelivered schedule tick is superseded by the next one a minute later; storing ticks would keep nothing of value.",
    });
  }
}
