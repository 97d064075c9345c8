import { Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import { ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import { Subscription, SubscriptionProtocol, Topic } from "aws-cdk-lib/aws-sns";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { SubscriptionTargets } from "./config.js";

const NO_SUBSCRIBERS: SubscriptionTargets = { emails: [], smsNumbers: [], httpsUrls: [] };

export interface PagingTopicsProps {
  /**
   * Who receives burst pages and resolves.
   * @default no subscriptions (subscribe later in the console or with the CLI)
   */
  readonly paging?: SubscriptionTargets;
  /**
   * Who receives the operational alarms.
   * @default no subscriptions
   */
  readonly operations?: SubscriptionTargets;
}

/**
 * Two SNS topics: `paging` carries burst pages and resolves (what on-call acts on), `operations`
 * carries CloudWatch alarms about hookwatch itself. Alarm actions cannot add message attributes,
 * so mixing them into the paging topic would defeat its subscription filters. Both topics are
 * encrypted with a customer managed key (CloudWatch cannot use the AWS managed SNS key) and refuse
 * requests without TLS. Notifications that no subscriber accepted land in `undeliveredQueue`.
 */
export class PagingTopics extends Construct {
  readonly paging: Topic;
  readonly operations: Topic;
  readonly key: Key;
  /** Dead-letter queue of every subscription: pages and alarms that could not be delivered. */
  readonly undeliveredQueue: Queue;

  constructor(scope: Construct, id: string, props: PagingTopicsProps = {}) {
    super(scope, id);
    this.key = new Key(this, "Key", {
      description: "Encrypts hookwatch's paging and operations topics",
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.paging = new Topic(this, "Paging", {
      displayName: "hookwatch pages",
      masterKey: this.key,
      enforceSSL: true,
    });
    this.operations = new Topic(this, "Operations", {
      displayName: "hookwatch operations",
      masterKey: this.key,
      enforceSSL: true,
    });
    // A topic policy replaces SNS's default one, so CloudWatch alarms of this account need an explicit grant.
    const { account, region, partition } = Stack.of(this);
    this.operations.grantPublish(
      new ServicePrincipal("cloudwatch.amazonaws.com").withConditions({
        ArnLike: { "aws:SourceArn": `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` },
        StringEquals: { "aws:SourceAccount": account },
      }),
    );

    this.undeliveredQueue = new Queue(this, "Undelivered", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.undeliveredQueue).acknowledge(
      {
        id: "AwsSolutions-SQS3",
        reason:
          "This queue is a dead-letter queue: of the SNS subscriptions (their redrive policy), which the rule does not recognise.",
      },
      {
        id: "Serverless-SQSRedrivePolicy",
        reason: "This is a dead-letter queue; a dead-letter queue of its own would only move the problem.",
      },
    );
    this.subscribe(this.paging, props.paging ?? NO_SUBSCRIBERS);
    this.subscribe(this.operations, props.operations ?? NO_SUBSCRIBERS);
  }

  private subscribe(topic: Topic, targets: SubscriptionTargets): void {
    const endpoints: [SubscriptionProtocol, readonly string[]][] = [
      [SubscriptionProtocol.EMAIL, targets.emails],
      [SubscriptionProtocol.SMS, targets.smsNumbers],
      [SubscriptionProtocol.HTTPS, targets.httpsUrls],
    ];
    for (const [protocol, list] of endpoints) {
      for (const endpoint of list) {
        // The L2 Subscription, because SmsSubscription drops the dead-letter queue.
        new Subscription(topic, `${protocol}:${endpoint}`, {
          topic,
          protocol,
          endpoint,
          deadLetterQueue: this.undeliveredQueue,
        });
      }
    }
  }
}
