import type { Server } from "node:http";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
  SQSServiceException,
} from "@aws-sdk/client-sqs";
import { createSqsServer } from "local-aws-sqs";
import type { SendMessageParameters } from "./api-gateway-vtl.js";
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, LOCAL_REGION } from "./local-aws.js";
import type { QueueSettings } from "./stack-settings.js";

/** SQS's maximum message size for a queue that does not set one (before the 2025 raise to 1 MiB). */
export const SQS_DEFAULT_MAXIMUM_MESSAGE_SIZE_BYTES = 262_144;

/** The webhook queue and its dead-letter queue, served by `local-aws-sqs` over the real SQS API. */
export interface SqsStandIn {
  readonly endpoint: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly deadLetterQueueUrl: string;
  /** The webhook queue's maximum message size in bytes, as SendMessage enforces it. */
  readonly maximumMessageSizeBytes: number;
  /** SendMessage to the webhook queue; refuses an oversized message as SQS does (400 InvalidParameterValue). */
  sendMessage(parameters: SendMessageParameters): Promise<void>;
  close(): Promise<void>;
}

export interface SqsStandInOptions {
  /**
   * The stack's queue settings (visibility timeout, receive count, retention, maximum message size;
   * SQS's default maximum when absent).
   */
  readonly queue: Omit<QueueSettings, "maximumMessageSizeBytes"> & {
    readonly maximumMessageSizeBytes?: number;
  };
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
    const maximumMessageSizeBytes =
      options.queue.maximumMessageSizeBytes ?? SQS_DEFAULT_MAXIMUM_MESSAGE_SIZE_BYTES;
    const MaximumMessageSize = String(maximumMessageSizeBytes);
    const deadLetter = await client.send(
      new CreateQueueCommand({
        QueueName: `${name}-dlq`,
        Attributes: {
          MaximumMessageSize,
          ...retention(options.deadLetterQueue.messageRetentionPeriodSeconds),
        },
      }),
    );
    const deadLetterArn = await queueArnOf(client, deadLetter.QueueUrl);
    const queue = await client.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: {
          VisibilityTimeout: String(options.queue.visibilityTimeoutSeconds),
          MaximumMessageSize,
          ...retention(options.queue.messageRetentionPeriodSeconds),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: deadLetterArn,
            maxReceiveCount: options.queue.maxReceiveCount,
          }),
        },
      }),
    );
    const queueUrl = required(queue.QueueUrl);
    return {
      endpoint,
      client,
      queueUrl,
      queueArn: await queueArnOf(client, queue.QueueUrl),
      deadLetterQueueUrl: required(deadLetter.QueueUrl),
      maximumMessageSizeBytes,
      sendMessage: async (parameters) => {
        refuseOversizedMessage(parameters, maximumMessageSizeBytes);
        await client.send(new SendMessageCommand({ QueueUrl: queueUrl, ...parameters }));
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * The size SQS counts against the queue's maximum: the UTF-8 bytes of the body and of each
 * attribute's name, data type and value.
 */
export function messageSizeBytes(parameters: SendMessageParameters): number {
  const bytes = (text: string) => Buffer.byteLength(text, "utf8");
  let size = bytes(parameters.MessageBody);
  for (const [name, value] of Object.entries(parameters.MessageAttributes)) {
    size += bytes(name) + bytes(value.DataType) + bytes(value.StringValue);
  }
  return size;
}

/**
 * SQS's own refusal of an oversized message. `local-aws-sqs` checks the size too, but counts
 * UTF-16 code units, so a body of multi-byte characters would slip past it.
 */
function refuseOversizedMessage(parameters: SendMessageParameters, maximum: number): void {
  if (messageSizeBytes(parameters) <= maximum) return;
  throw new SQSServiceException({
    name: "InvalidParameterValue",
    $fault: "client",
    $metadata: { httpStatusCode: 400 },
    message: `One or more parameters are invalid. Reason: Message must be shorter than ${maximum} bytes.`,
  });
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
