import { randomBytes } from "node:crypto";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type MessageAttributeValue,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { DestinationSettings } from "../lambdas/destinations/destination-settings.js";
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from "./local-aws.js";
import { type PagerDutyStandIn, startPagerDutyStandIn } from "./pagerduty-stand-in.js";
import { type SecretsManagerStandIn, startSecretsManagerStandIn } from "./secrets-manager-stand-in.js";
import { type SlackStandIn, startSlackStandIn } from "./slack-stand-in.js";
import type { PublishRecord } from "./sns-stand-in.js";
import type { DeliverySettings, QueueSettings } from "./stack-settings.js";
import { startTeamsStandIn, type TeamsStandIn } from "./teams-stand-in.js";
import { startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.js";

const localSecretArn = (name: string) =>
  `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:secret:hookwatch-local-${name}-AbCdEf`;

/** What `npm start` delivers to when the context configures no destination: one of each, on local stand-ins. */
export const DEFAULT_LOCAL_DESTINATIONS = [
  { type: "pagerduty", name: "pagerduty", routingKeySecretArn: localSecretArn("pagerduty") },
  {
    type: "webhook",
    name: "webhook",
    url: "https://receiver.example.com/hookwatch",
    signingSecretArn: localSecretArn("webhook"),
  },
  { type: "slack", name: "slack", webhookUrlSecretArn: localSecretArn("slack") },
  { type: "teams", name: "teams", workflowUrlSecretArn: localSecretArn("teams") },
] as const;

/** One destination's delivery as the local pipeline runs it. */
export interface LocalDelivery {
  readonly destination: DestinationSettings;
  readonly settings: DeliverySettings;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly deadLetterQueueUrl: string;
  readonly visibilityTimeoutSeconds: number;
  /** The delivery function's environment: the stack's, with the stand-ins' URLs and local queue names. */
  readonly environment: Record<string, string>;
}

export interface LocalDestinations {
  readonly deliveries: readonly LocalDelivery[];
  readonly pagerDuty?: PagerDutyStandIn;
  readonly webhookReceiver?: WebhookReceiver;
  readonly slack?: SlackStandIn;
  readonly teams?: TeamsStandIn;
  readonly secretsManager: SecretsManagerStandIn;
  /** What SNS does for each queue subscribed to the paging topic: one SendMessage per publish. */
  fanOut(record: PublishRecord): Promise<void>;
  close(): Promise<void>;
}

/**
 * The stack's delivery queues created in the SQS stand-in, the destinations' APIs as local stand-ins (a
 * PagerDuty Events API v2, a Standard Webhooks receiver, a Slack incoming webhook, a Teams Workflows webhook), and a Secrets Manager stand-in serving generated
 * secrets under the configured ARNs. Destinations' URLs are replaced by the stand-ins'.
 */
export async function startLocalDestinations(options: {
  readonly sqs: SQSClient;
  readonly deliveries: readonly DeliverySettings[];
  /** Shorter visibility timeout than the stack's, as for the webhook queue (`--visibility-timeout`). */
  readonly visibilityTimeoutSeconds?: number;
  readonly log: (line: string) => void;
}): Promise<LocalDestinations> {
  const destinations = options.deliveries.map((delivery) => readDestination(delivery));
  const cleanup: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => {});
  };
  try {
    const secrets = new Map<string, string>();
    const webhookSecret = `whsec_${randomBytes(32).toString("base64")}`;
    let pagerDuty: PagerDutyStandIn | undefined;
    let webhookReceiver: WebhookReceiver | undefined;
    let slack: SlackStandIn | undefined;
    let teams: TeamsStandIn | undefined;
    for (const destination of destinations) {
      if (destination.type === "pagerduty") {
        pagerDuty ??= await startPagerDutyStandIn({ log: options.log });
        secrets.set(destination.routingKeySecretArn, randomBytes(16).toString("hex"));
      } else if (destination.type === "webhook") {
        webhookReceiver ??= await startWebhookReceiver({ secret: webhookSecret, log: options.log });
        secrets.set(destination.signingSecretArn, webhookSecret);
      } else if (destination.type === "slack") {
        // The secret is the webhook's URL, as in Secrets Manager: the stand-in's.
        slack ??= await startSlackStandIn({ log: options.log });
        secrets.set(destination.webhookUrlSecretArn, slack.webhookUrl());
      } else {
        teams ??= await startTeamsStandIn({ log: options.log });
        secrets.set(destination.workflowUrlSecretArn, teams.workflowUrl());
      }
    }
    if (pagerDuty) cleanup.push(pagerDuty.close);
    if (webhookReceiver) cleanup.push(webhookReceiver.close);
    if (slack) cleanup.push(slack.close);
    if (teams) cleanup.push(teams.close);
    const secretsManager = await startSecretsManagerStandIn(secrets);
    cleanup.push(secretsManager.close);

    const deliveries: LocalDelivery[] = [];
    for (const [index, settings] of options.deliveries.entries()) {
      const destination = localDestination(
        destinations[index] as DestinationSettings,
        pagerDuty,
        webhookReceiver,
      );
      const visibilityTimeoutSeconds =
        options.visibilityTimeoutSeconds ?? settings.queue.visibilityTimeoutSeconds;
      const queues = await createDeliveryQueues(options.sqs, destination.name, {
        ...settings.queue,
        visibilityTimeoutSeconds,
      });
      deliveries.push({
        destination,
        settings,
        ...queues,
        visibilityTimeoutSeconds,
        environment: deliveryEnvironment(settings, destination, queues.deadLetterQueueUrl),
      });
    }
    return {
      deliveries,
      ...(pagerDuty === undefined ? {} : { pagerDuty }),
      ...(webhookReceiver === undefined ? {} : { webhookReceiver }),
      ...(slack === undefined ? {} : { slack }),
      ...(teams === undefined ? {} : { teams }),
      secretsManager,
      fanOut: (record) => fanOut(options.sqs, deliveries, record, options.log),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

function readDestination(delivery: DeliverySettings): DestinationSettings {
  const text = delivery.function.environment.DESTINATION;
  return JSON.parse(String(text)) as DestinationSettings;
}

function localDestination(
  destination: DestinationSettings,
  pagerDuty: PagerDutyStandIn | undefined,
  webhookReceiver: WebhookReceiver | undefined,
): DestinationSettings {
  if (destination.type === "pagerduty" && pagerDuty)
    return { ...destination, eventsUrl: pagerDuty.eventsUrl };
  if (destination.type === "webhook" && webhookReceiver) return { ...destination, url: webhookReceiver.url };
  return destination;
}

/** The function's environment with the references it holds resolved locally (there is no dashboard locally). */
function deliveryEnvironment(
  settings: DeliverySettings,
  destination: DestinationSettings,
  deadLetterQueueUrl: string,
): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(settings.function.environment)) {
    if (typeof value === "string" && name !== "NODE_OPTIONS") environment[name] = value;
  }
  return {
    ...environment,
    DESTINATION: JSON.stringify(destination),
    DEAD_LETTER_QUEUE_URL: deadLetterQueueUrl,
  };
}

async function createDeliveryQueues(sqs: SQSClient, name: string, queueSettings: QueueSettings) {
  const retention = (seconds?: number) =>
    seconds === undefined ? {} : { MessageRetentionPeriod: String(seconds) };
  const deadLetter = await sqs.send(new CreateQueueCommand({ QueueName: `hookwatch-delivery-${name}-dlq` }));
  const deadLetterArn = await queueArn(sqs, deadLetter.QueueUrl);
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: `hookwatch-delivery-${name}`,
      Attributes: {
        VisibilityTimeout: String(queueSettings.visibilityTimeoutSeconds),
        ...retention(queueSettings.messageRetentionPeriodSeconds),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: deadLetterArn,
          maxReceiveCount: queueSettings.maxReceiveCount,
        }),
      },
    }),
  );
  if (!queue.QueueUrl || !deadLetter.QueueUrl) throw new Error("the SQS stand-in created no delivery queue");
  return {
    queueUrl: queue.QueueUrl,
    queueArn: await queueArn(sqs, queue.QueueUrl),
    deadLetterQueueUrl: deadLetter.QueueUrl,
  };
}

async function queueArn(sqs: SQSClient, queueUrl: string | undefined): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
  );
  if (!Attributes?.QueueArn) throw new Error(`the SQS stand-in has no ARN for ${queueUrl}`);
  return Attributes.QueueArn;
}

/**
 * SNS to an SQS subscription: the `sqs` entry of a JSON-structured message (else `default`); with raw
 * delivery the body is that message and the publish's attributes become message attributes (SNS passes
 * up to 10), without it an SNS envelope. A failed send is logged, as SNS would retry it on its own.
 */
async function fanOut(
  sqs: SQSClient,
  deliveries: readonly LocalDelivery[],
  record: PublishRecord,
  log: (line: string) => void,
): Promise<void> {
  const message =
    typeof record.Message === "string"
      ? record.Message
      : (record.Message.sqs ?? record.Message.default ?? "");
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(record.MessageAttributes).slice(0, 10)) {
    attributes[name] = {
      DataType: value.DataType,
      ...(value.StringValue === undefined ? {} : { StringValue: value.StringValue }),
    };
  }
  for (const delivery of deliveries) {
    const raw = delivery.settings.rawMessageDelivery;
    const body = raw ? message : JSON.stringify(snsEnvelope(record, message));
    try {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: delivery.queueUrl,
          MessageBody: body,
          ...(raw ? { MessageAttributes: attributes } : {}),
        }),
      );
    } catch (error) {
      log(`SNS → ${delivery.destination.name} queue: ${(error as Error).message}`);
    }
  }
}

function snsEnvelope(record: PublishRecord, message: string) {
  return {
    Type: "Notification",
    MessageId: record.MessageId,
    TopicArn: record.TopicArn,
    ...(record.Subject === undefined ? {} : { Subject: record.Subject }),
    Message: message,
    Timestamp: record.ReceivedAt,
    MessageAttributes: Object.fromEntries(
      Object.entries(record.MessageAttributes).map(([name, value]) => [
        name,
        { Type: value.DataType, Value: value.StringValue },
      ]),
    ),
  };
}
