import { IdempotencyConfig, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import { type DynamoDBClient, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import type { Context } from "aws-lambda";
import { expiresAfterDays } from "../../lambdas/runtime/attribute-values.js";
import type { BurstRule } from "../../lambdas/runtime/config.js";
import type { Hook } from "../../lambdas/runtime/hooks.js";
import { type Arrival, toEventItem } from "../../lambdas/webhook/event-store.js";
import { type PreludeEvent, parseBatch, validateEvent } from "../../lambdas/webhook/event-validation.js";
import type { SignatureVerifier } from "../../lambdas/webhook/signature-verifier.js";
import type { WebhookMessage } from "../../lambdas/webhook/webhook-message.js";

export interface BaselineDeps {
  readonly client: DynamoDBClient;
  readonly sns: SNSClient;
  readonly topicArn: string;
  readonly eventsTableName: string;
  /** Holds the burst counters; the hookwatch state table's key schema (pk, sk) serves. */
  readonly counterTableName: string;
  /** Powertools' table: partition key `id` (string), TTL on `expiration`. */
  readonly idempotencyTableName: string;
  readonly verifier?: SignatureVerifier;
  readonly appIds: readonly string[];
  readonly rules: Readonly<Record<Hook, BurstRule>>;
  readonly retentionDays: number;
}

export type BaselineOutcome = "processed" | "rejected" | "invalid";

export interface BaselineProcessor {
  /** Lets Powertools track the remaining time of the invocation, as its documentation asks. */
  registerContext(context: Context): void;
  processMessage(message: WebhookMessage): Promise<BaselineOutcome>;
}

/**
 * The same job as hookwatch's processor, written the way a team would with Powertools: signature
 * check and validation are hookwatch's own (so only the storage and burst design differ), each
 * event goes through `makeIdempotent` with the documented defaults (DynamoDBPersistenceLayer, an
 * idempotency record per event keyed by the event's key, kept 1 hour), the event itself is stored
 * with a plain PutItem, and bursts are counted with the obvious DIY design: one counter item per
 * app, hook and fixed window, incremented with UpdateItem ADD; the increment that reaches the
 * threshold publishes the page. No resolve, no late-burst handling, no quarantine records.
 */
export function createBaselineProcessor(deps: BaselineDeps): BaselineProcessor {
  const config = new IdempotencyConfig({ eventKeyJmesPath: "key" });
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: deps.idempotencyTableName,
    awsSdkV3Client: deps.client,
  });

  async function countFailure(appId: string, hook: Hook, occurredAtMs: number): Promise<void> {
    const rule = deps.rules[hook];
    const windowMs = rule.windowSeconds * 1000;
    const windowStart = new Date(Math.floor(occurredAtMs / windowMs) * windowMs).toISOString();
    const { Attributes } = await deps.client.send(
      new UpdateItemCommand({
        TableName: deps.counterTableName,
        Key: { pk: { S: `COUNTER#${appId}#${hook}` }, sk: { S: windowStart } },
        UpdateExpression: "ADD failures :one SET expires_at = if_not_exists(expires_at, :expires)",
        ExpressionAttributeValues: {
          ":one": { N: "1" },
          ":expires": { N: String(expiresAfterDays(occurredAtMs, deps.retentionDays)) },
        },
        ReturnValues: "UPDATED_NEW",
      }),
    );
    if (Number(Attributes?.failures?.N) !== rule.threshold) return;
    await deps.sns.send(
      new PublishCommand({
        TopicArn: deps.topicArn,
        Subject: `${hook} hook failing for app ${appId}`,
        Message: `${rule.threshold} transport failures of the ${hook} hook of app ${appId} in the window from ${windowStart}`,
      }),
    );
  }

  const storeOnce = makeIdempotent(
    async (_key: { key: string }, event: PreludeEvent, arrival: Arrival) => {
      await deps.client.send(
        new PutItemCommand({
          TableName: deps.eventsTableName,
          Item: toEventItem(event, arrival, deps.retentionDays),
        }),
      );
      if (event.hook && event.reasonClass === "transport" && event.occurredAtMs !== undefined) {
        await countFailure(arrival.appId, event.hook, event.occurredAtMs);
      }
      return "stored";
    },
    { persistenceStore, config },
  );

  return {
    registerContext: (context) => config.registerLambdaContext(context),
    async processMessage(message) {
      if (deps.verifier) {
        const check = await deps.verifier.verify({
          body: message.body,
          ...(message.signature === undefined ? {} : { signature: message.signature }),
          ...(message.signatureKeyId === undefined ? {} : { keyId: message.signatureKeyId }),
        });
        if (check.outcome === "unavailable") throw new Error(`signature check unavailable: ${check.reason}`);
        if (check.outcome === "rejected") return "rejected";
      }
      let body: unknown;
      try {
        body = JSON.parse(message.body);
      } catch {
        return "invalid";
      }
      const batch = parseBatch(body);
      if (!batch.ok) return "invalid";
      if (!deps.appIds.includes(batch.appId)) return "rejected";
      const arrival: Arrival = {
        appId: batch.appId,
        requestId: message.requestId,
        receivedAt: message.receivedAt,
      };
      await Promise.all(
        batch.events.map(async (element) => {
          const validation = validateEvent(element);
          if (validation.valid) await storeOnce({ key: validation.event.key }, validation.event, arrival);
        }),
      );
      return "processed";
    },
  };
}
