import type { Server } from "node:http";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { createSqsServer } from "local-aws-sqs";
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, LOCAL_REGION } from "./local-aws.js";
import type { QueueSettings } from "./stack-settings.js";

/** The webhook queue and its dead-letter queue, served by `local-aws-sqs` over the real SQS API. */
export interface SqsStandIn {
  readonly endpoint: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly deadLetterQueueUrl: string;
  close(): Promise<void>;
}

export interface SqsStandInOptions {
  /** The stack's queue settings (visibility timeout, receive count, retention). */
  readonly queue: QueueSettings;
  readonly deadLetterQueue: { readonly messageRetentionPeriodSeconds?: number };
  readonly queueName?: string;
}

/**
 * Starts `local-aws-sqs` on a free loopback port and creates the queues through the SQS API, with
 * the stack's attributes; the stand-in then honours the redrive policy as SQS does (on the receive
 * after `maxReceiveCount`, the message moves to the dead-letter queue).
 */
export async function startSqsStandIn(
  options: SqsStandInOptions,
): Promise<SqsStandIn & { readonly client: SQSClient }> {
  const server: Server = await createSqsServer({
    port: 0,
    hostname: "127.0.0.1",
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT_ID,
    // Restarting with --persist or re-running tests must not wait a minute to reuse a name.
    emulateQueueCreationLifecycle: false,
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the SQS stand-in has no TCP address");
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = new SQSClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const close = () =>
    new Promise<void>((resolve) => {
      client.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });

  try {
    const name = options.queueName ?? "hookwatch-webhooks";
    const retention = (seconds?: number) =>
      seconds === undefined ? {} : { MessageRetentionPeriod: String(seconds) };
    const deadLetter = await client.send(
      new CreateQueueCommand({
        QueueName: `${name}-dlq`,
        Attributes: retention(options.deadLetterQueue.messageRetentionPeriodSeconds),
      }),
    );
    const deadLetterArn = await queueArnOf(client, deadLetter.QueueUrl);
    const queue = await client.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: {
          VisibilityTimeout: String(options.queue.visibilityTimeoutSeconds),
          ...retention(options.queue.messageRetentionPeriodSeconds),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: deadLetterArn,
            maxReceiveCount: options.queue.maxReceiveCount,
          }),
        },
      }),
    );
    return {
      endpoint,
      client,
      queueUrl: required(queue.QueueUrl),
      queueArn: await queueArnOf(client, queue.QueueUrl),
      deadLetterQueueUrl: required(deadLetter.QueueUrl),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** How many messages a queue holds, visible or in flight. */
export async function countMessages(client: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
  );
  // local-aws-sqs counts in-flight messages here as well (real SQS counts them apart, as NotVisible).
  return Number(Attributes.ApproximateNumberOfMessages ?? 0);
}

async function queueArnOf(client: SQSClient, queueUrl: string | undefined): Promise<string> {
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: required(queueUrl), AttributeNames: ["QueueArn"] }),
  );
  return required(Attributes?.QueueArn);
}

function required(value: string | undefined): string {
  if (value === undefined) throw new Error("the SQS stand-in answered without a queue URL or ARN");
  return value;
}
