import { type AttributeValue, type DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import {
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { Hook } from "../lambdas/runtime/hooks.js";
import { WEBHOOK_ATTRIBUTES } from "../lambdas/webhook/webhook-message.js";
import { readPagerFile } from "../local/local-pager.js";
import type { DeadLetter, IntakeRecord, PageSeen, StoredEvent } from "./invariants.js";

type Item = Record<string, AttributeValue>;

async function scanAll(client: DynamoDBClient, tableName: string): Promise<Item[]> {
  const items: Item[] = [];
  let ExclusiveStartKey: Item | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName, ExclusiveStartKey, ConsistentRead: true }),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

const text = (item: Item, name: string) => item[name]?.S;

/** Every item of the events table, read directly from DynamoDB Local (not through the fault proxy). */
export async function readStoredEvents(
  client: DynamoDBClient,
  eventsTableName: string,
): Promise<StoredEvent[]> {
  return (await scanAll(client, eventsTableName)).map((item) => {
    const optional = {
      appId: text(item, "app_id"),
      type: text(item, "type"),
      reason: text(item, "reason"),
      occurredAt: text(item, "occurred_at"),
    };
    return {
      key: text(item, "dispatch_id") ?? "",
      raw: text(item, "raw") ?? "",
      ...(Object.fromEntries(
        Object.entries(optional).filter(([, value]) => value !== undefined),
      ) as Partial<StoredEvent>),
    };
  });
}

export interface StateReadBack {
  readonly quarantined: IntakeRecord[];
  readonly rejected: IntakeRecord[];
  /** `<pk> <sk>` of every burst whose status is still open. */
  readonly openBursts: string[];
  /** Every burst item as the table holds it at the end, by group partition: the trail of a missed page. */
  readonly burstsByGroup: Map<string, string[]>;
}

/** Quarantined and rejected input, and the bursts still open, from the state table. */
export async function readState(client: DynamoDBClient, stateTableName: string): Promise<StateReadBack> {
  const result: StateReadBack = { quarantined: [], rejected: [], openBursts: [], burstsByGroup: new Map() };
  for (const item of await scanAll(client, stateTableName)) {
    const pk = text(item, "pk") ?? "";
    const sk = text(item, "sk") ?? "";
    if (pk.startsWith("QUARANTINE#")) {
      const index = item.event_index?.N;
      const raw = text(item, "raw");
      result.quarantined.push({
        requestId: text(item, "request_id") ?? "",
        reason: text(item, "reason") ?? "",
        ...(index === undefined ? {} : { eventIndex: Number(index) }),
        ...(raw === undefined ? {} : { raw }),
      });
    } else if (pk.startsWith("REJECTED#")) {
      const bodySha256 = text(item, "body_sha256");
      result.rejected.push({
        requestId: text(item, "request_id") ?? "",
        reason: text(item, "reason") ?? "",
        ...(bodySha256 === undefined ? {} : { bodySha256 }),
      });
    } else if (pk.startsWith("GROUP#") && sk.startsWith("BURST#")) {
      if (text(item, "status") === "open") result.openBursts.push(`${pk} ${sk}`);
      const fields = ["status", "delayed", "opened_at", "paged_at", "resolved_at", "last_failure_at"]
        .map((name) => [name, text(item, name) ?? item[name]?.BOOL] as const)
        .filter(([, value]) => value !== undefined)
        .map(([name, value]) => `${name} ${String(value)}`);
      result.burstsByGroup.set(pk, [...(result.burstsByGroup.get(pk) ?? []), `${sk} (${fields.join(", ")})`]);
    }
  }
  return result;
}

/** The pages the local pager wrote: the JSON document of each publish (what HTTPS, SQS and Lambda subscribers get). */
export async function readPages(pagerFile: string): Promise<PageSeen[]> {
  return (await readPagerFile(pagerFile)).map((record) => {
    const json = typeof record.Message === "string" ? record.Message : (record.Message.sqs ?? "{}");
    const document = JSON.parse(json) as {
      event_action: "trigger" | "resolve";
      dedup_key: string;
      app_id: string;
      hook: Hook;
      window_start: string;
      window_end: string;
      delayed?: boolean;
    };
    return {
      action: document.event_action,
      dedupKey: document.dedup_key,
      appId: document.app_id,
      hook: document.hook,
      windowStartMs: Date.parse(document.window_start),
      windowEndMs: Date.parse(document.window_end),
      delayed: document.delayed === true,
    };
  });
}

/** Takes every message out of sight in the dead-letter queue (long visibility), keeping receipt handles. */
export async function receiveDeadLetters(sqs: SQSClient, deadLetterQueueUrl: string): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 600,
        MessageAttributeNames: ["All"],
      }),
    );
    if (Messages.length === 0) return messages;
    messages.push(...Messages);
  }
}

export function toDeadLetter(message: Message): DeadLetter {
  return {
    requestId: message.MessageAttributes?.[WEBHOOK_ATTRIBUTES.requestId]?.StringValue ?? "",
    body: message.Body ?? "",
  };
}

/** Moves dead letters back to the main queue as they were (body and attributes), as an SQS redrive does. */
export async function redrive(
  sqs: SQSClient,
  messages: readonly Message[],
  from: { deadLetterQueueUrl: string; queueUrl: string },
): Promise<void> {
  for (const message of messages) {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: from.queueUrl,
        MessageBody: message.Body ?? "",
        MessageAttributes: Object.fromEntries(
          Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
            name,
            { DataType: value.DataType ?? "String", StringValue: value.StringValue ?? "" },
          ]),
        ),
      }),
    );
    await sqs.send(
      new DeleteMessageCommand({ QueueUrl: from.deadLetterQueueUrl, ReceiptHandle: message.ReceiptHandle }),
    );
  }
}
