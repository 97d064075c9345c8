import { type DynamoDBClient, GetItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import type { BurstTables } from "../../lambdas/bursts/burst-record.js";
import { createBurstTracker } from "../../lambdas/bursts/burst-tracker.js";
import type { BurstPage } from "../../lambdas/pages/burst-page.js";
import type { Pager } from "../../lambdas/pages/pager.js";
import {
  DYNAMODB_REQUESTS_IN_FLIGHT,
  type MessageOutcome,
  type ProcessorDeps,
  processMessage,
} from "../../lambdas/processor/process-message.js";
import { closeQuietBursts, type RecoveryOutcome } from "../../lambdas/recovery/close-quiet-bursts.js";
import { closeQuietStorms, type StormRecoveryOutcome } from "../../lambdas/recovery/close-quiet-storms.js";
import { createConcurrencyLimit } from "../../lambdas/runtime/concurrency-limit.js";
import { type BurstRule, DEFAULT_BURST_RULE } from "../../lambdas/runtime/config.js";
import type { Hook } from "../../lambdas/runtime/hooks.js";
import { MetricsRecorder } from "../../lambdas/runtime/metrics-recorder.js";
import { createSilenceLookup } from "../../lambdas/silences/silence-lookup.js";
import { createStormTracker } from "../../lambdas/storms/storm-tracker.js";
import { createSignatureVerifier } from "../../lambdas/webhook/signature-verifier.js";
import type { WebhookMessage } from "../../lambdas/webhook/webhook-message.js";
import { createPreludeSigner, type PreludeSigner, type ServedJwks } from "../../local/prelude-signer.js";
import { APP_ID, batchBody, webhookMessage } from "./prelude-events.js";
import { createTestTables, localDynamoDb } from "./test-tables.js";

/** Records every page; can be told to fail the next publishes, as SNS might. */
export class RecordingPager implements Pager {
  readonly pages: BurstPage[] = [];
  private failures = 0;

  failNext(count = 1): void {
    this.failures = count;
  }

  async publish(page: BurstPage): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error("SNS is unavailable (injected)");
    }
    this.pages.push(page);
  }
}

export interface Harness {
  readonly client: DynamoDBClient;
  readonly tables: { events: string; state: string };
  readonly signer: PreludeSigner;
  readonly jwks: ServedJwks;
  readonly pager: RecordingPager;
  readonly rules: Record<Hook, BurstRule>;
  readonly clock: { now: number };
  /** The tables as burst code takes them. */
  readonly burstTables: BurstTables;
  /** Runs the real recovery schedule at `atMs` against the harness's tables and pager. */
  recover(atMs: number): Promise<RecoveryOutcome>;
  /** Runs the recovery schedule's storm half at `atMs`. */
  recoverStorms(atMs: number): Promise<StormRecoveryOutcome>;
  /** Fresh dependencies for one invocation, as the handler builds them. */
  deps(overrides?: Partial<ProcessorDeps>): ProcessorDeps;
  /** Signs a batch of events and processes it as one SQS message of a fresh invocation. */
  send(
    events: readonly unknown[],
    options?: { appId?: string; message?: Partial<WebhookMessage> },
  ): Promise<MessageOutcome>;
  signedMessage(body: string, fields?: Partial<WebhookMessage>): WebhookMessage;
  getEvent(key: string): Promise<Record<string, unknown> | undefined>;
  stateItems(pkPrefix: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** Plain values of an item, for readable assertions. */
export function plain(
  item: Record<string, import("@aws-sdk/client-dynamodb").AttributeValue>,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(item).map(([name, value]) => [
      name,
      value.S ?? (value.N === undefined ? value.SS : Number(value.N)),
    ]),
  );
}

/** The pages the harness's pager got, one line each: action, window start, and whether it was delayed. */
export function pageLines(harness: Harness): string[] {
  return harness.pager.pages.map(
    (page) => `${page.action} ${page.windowStart}${page.delayed ? " delayed" : ""}`,
  );
}

export async function createHarness(
  options: { appIds?: string[]; rules?: Partial<Record<Hook, BurstRule>> } = {},
): Promise<Harness> {
  const client = localDynamoDb();
  const tables = await createTestTables(client);
  const signer = createPreludeSigner();
  const jwks = await signer.serveJwks();
  const pager = new RecordingPager();
  const clock = { now: Date.parse("2026-11-20T10:05:00Z") };
  const rules = { migration: DEFAULT_BURST_RULE, "step-up": DEFAULT_BURST_RULE, ...options.rules };
  const appIds = options.appIds ?? [APP_ID];
  const verifier = createSignatureVerifier({
    appIds,
    jwksUrlFor: () => jwks.url,
    fetchTimeoutMs: 2_000,
    cacheSeconds: 3_600,
    minRefetchSeconds: 30,
  });
  const burstTables = {
    client,
    eventsTableName: tables.events,
    stateTableName: tables.state,
    retentionDays: 30,
  };

  const deps = (overrides: Partial<ProcessorDeps> = {}): ProcessorDeps => ({
    store: burstTables,
    intake: { client, stateTableName: tables.state, quarantineRetentionDays: 30, rejectedRetentionDays: 7 },
    verifier,
    appIds,
    metrics: new MetricsRecorder(),
    dynamodbLimit: createConcurrencyLimit(DYNAMODB_REQUESTS_IN_FLIGHT),
    bursts: createBurstTracker({
      tables: burstTables,
      pager,
      rules,
      silences: createSilenceLookup(burstTables),
      now: () => clock.now,
    }),
    // As in the handler: only when a hook turns response-storm warnings on.
    ...(Object.values(rules).some((rule) => rule.responseStorm !== undefined)
      ? { storms: createStormTracker({ tables: burstTables, pager, rules, now: () => clock.now }) }
      : {}),
    ...overrides,
  });
  const signedMessage = (body: string, fields: Partial<WebhookMessage> = {}) =>
    webhookMessage(body, {
      signature: signer.sign(body),
      signatureKeyId: signer.kid,
      receivedAt: clock.now,
      ...fields,
    });

  return {
    client,
    tables,
    signer,
    jwks,
    pager,
    rules,
    clock,
    burstTables,
    recover: (atMs) =>
      closeQuietBursts(
        { tables: burstTables, pager, rules, silences: createSilenceLookup(burstTables) },
        atMs,
      ),
    recoverStorms: (atMs) => closeQuietStorms({ tables: burstTables, pager }, atMs),
    deps,
    signedMessage,
    send: (events, sendOptions = {}) =>
      processMessage(deps(), signedMessage(batchBody(events, sendOptions.appId), sendOptions.message)),
    async getEvent(key) {
      const { Item } = await client.send(
        new GetItemCommand({
          TableName: tables.events,
          Key: { dispatch_id: { S: key } },
          ConsistentRead: true,
        }),
      );
      return Item === undefined ? undefined : plain(Item);
    },
    async stateItems(pkPrefix) {
      const day = new Date(clock.now).toISOString().slice(0, 10);
      const { Items = [] } = await client.send(
        new QueryCommand({
          TableName: tables.state,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: {
            ":pk": { S: pkPrefix.includes("#") ? pkPrefix : `${pkPrefix}#${day}` },
          },
          ConsistentRead: true,
        }),
      );
      return Items.map(plain);
    },
    close: () => jwks.close(),
  };
}
