import { Duration, Validations } from "aws-cdk-lib";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

/** Lambda's advice for SQS event sources: a visibility timeout of at least six function timeouts. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;
/** Fewer receives risk sending a message to the dead-letter queue during a short throttling spell. */
export const MIN_MAX_RECEIVE_COUNT = 5;
/**
 * SQS's largest message (body plus attributes) since August 2025: 1 MiB. A queue that does not
 * say otherwise keeps the old 256 KiB default, and SendMessage refuses anything larger with 400,
 * which the gateway passes on to Prelude as 400 on every retry (docs/guarantees.md, "Batch size").
 */
export const MAX_MESSAGE_SIZE_BYTES = 1_048_576;

export interface WebhookQueueProps {
  /** Timeout of the function that consumes the queue. */
  readonly consumerTimeout: Duration;
  /**
   * How long the event source may wait to fill a batch; added on top of the visibility timeout.
   * @default Duration.seconds(0)
   */
  readonly consumerBatchingWindow?: Duration;
  /**
   * Receives before a message moves to the dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;
}

/**
 * The queue API Gateway writes each webhook POST to, and its dead-letter queue. Both keep
 * messages 14 days and take messages of 1 MiB (the most SQS allows of each), are encrypted at rest
 * and refuse requests without TLS.
 */
export class WebhookQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly maxReceiveCount: number;

  constructor(scope: Construct, id: string, props: WebhookQueueProps) {
    super(scope, id);
    this.maxReceiveCount = props.maxReceiveCount ?? MIN_MAX_RECEIVE_COUNT;
    if (!Number.isInteger(this.maxReceiveCount) || this.maxReceiveCount < MIN_MAX_RECEIVE_COUNT) {
      throw new Error(
        `WebhookQueue ${id}: maxReceiveCount must be a whole number of at least ${MIN_MAX_RECEIVE_COUNT}, got ${this.maxReceiveCount}`,
      );
    }
    const visibilityTimeout = Duration.seconds(
      props.consumerTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR +
        (props.consumerBatchingWindow?.toSeconds() ?? 0),
    );
    const common = {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      maxMessageSizeBytes: MAX_MESSAGE_SIZE_BYTES,
    };

    this.deadLetterQueue = new Queue(this, "DeadLetterQueue", common);
    Validations.of(this.deadLetterQueue).acknowledge({
      id: "Serverless-SQSRedrivePolicy",
      reason: "This is the dead-letter queue; a dead-letter queue of its own would only move the problem.",
    });
    this.queue = new Queue(this, "Queue", {
      ...common,
      visibilityTimeout,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: this.maxReceiveCount },
    });
  }
}
