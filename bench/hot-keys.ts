import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { createBurstTracker } from "../lambdas/bursts/burst-tracker.js";
import type { BurstPage } from "../lambdas/pages/burst-page.js";
import { DYNAMODB_REQUESTS_IN_FLIGHT, processMessage } from "../lambdas/processor/process-message.js";
import { createConcurrencyLimit } from "../lambdas/runtime/concurrency-limit.js";
import { MetricsRecorder } from "../lambdas/runtime/metrics-recorder.js";
import type { WebhookMessage } from "../lambdas/webhook/webhook-message.js";
import { countItemWrites, type ItemWrites } from "../test/helpers/item-write-counter.js";
import { batchBody, migrationFailure } from "../test/helpers/prelude-events.js";
import { createBaselineProcessor } from "./baseline/baseline-processor.js";
import { type BenchContext, type BenchTables, createBenchTables } from "./bench-context.js";
import { benchLambdaContext } from "./lambda-context.js";

/** The burst, planned in full; what CI's `test/bursts/hot-keys.test.ts` runs. */
export const HOT_KEY_EVENTS = 100_000;
/** The baseline's run: enough to verify that its counter item takes every event. */
export const BASELINE_HOT_KEY_EVENTS = 1_000;
const EVENTS_PER_MESSAGE = 100;
/** Invocations at once, as in the CI test: the stack's processor concurrency. */
const CONCURRENCY = 5;
const BASE = Date.parse("2026-11-20T10:00:00Z");

export interface HotKeyRun {
  /** Events processed; fewer than planned when the bench's time budget ran out first. */
  readonly events: number;
  readonly plannedEvents: number;
  readonly hottestItem: string;
  readonly hottestWrites: number;
  readonly itemsWritten: number;
  /** Items written more than once: for hookwatch, only burst state. */
  readonly itemsWrittenMoreThanOnce: number;
  /** The most writes any item of the events table received: 1 when each event is written once. */
  readonly maxWritesToAnEvent: number;
  readonly pages: number;
  readonly wallMs: number;
}

export interface HotKeyResult {
  readonly hookwatch: HotKeyRun;
  readonly baseline: HotKeyRun;
  /** True when the baseline's hottest item took every event of its run: then it takes N of any N. */
  readonly baselineCounterTakesEveryEvent: boolean;
}

/** A burst of `events` transport failures of one app and hook, `occurred_at` spread over one minute in order. */
function burstMessages(events: number, appId: string): WebhookMessage[] {
  return Array.from({ length: Math.ceil(events / EVENTS_PER_MESSAGE) }, (_, message) => ({
    body: batchBody(
      Array.from({ length: EVENTS_PER_MESSAGE }, (_, index) =>
        migrationFailure({
          dispatch_id: `hot-${message}-${index}`,
          occurred_at: new Date(
            BASE + Math.floor(((message * EVENTS_PER_MESSAGE + index) / events) * 60_000),
          ).toISOString(),
        }),
      ),
      appId,
    ),
    requestId: `req-hot-${message}`,
    receivedAt: BASE,
  }));
}

/** Processes messages `CONCURRENCY` at a time until done or `stopAtMs`; returns how many were processed. */
async function drain(
  messages: readonly WebhookMessage[],
  process: (message: WebhookMessage) => Promise<unknown>,
  stopAtMs = Number.POSITIVE_INFINITY,
): Promise<number> {
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < messages.length && Date.now() < stopAtMs) {
        await process(messages[next++] as WebhookMessage);
        done++;
      }
    }),
  );
  return done;
}

/** `<role> table, key <key>`: every run's table names are unique, their roles are what a reader needs. */
function describeItem(item: string, tables: BenchTables): string {
  for (const [role, name] of Object.entries(tables)) {
    if (item.startsWith(`${name}:`)) return `${role} table, key ${item.slice(name.length + 1)}`;
  }
  return item;
}

function summarize(
  writes: ItemWrites,
  tables: BenchTables,
  run: { events: number; plannedEvents: number; pages: number; wallMs: number },
): HotKeyRun {
  const [item, hottestWrites] = writes.hottest();
  const counts = [...writes.counts.values()];
  const eventCounts = [...writes.counts]
    .filter(([key]) => key.startsWith(`${tables.events}:`))
    .map(([, count]) => count);
  return {
    ...run,
    maxWritesToAnEvent: Math.max(0, ...eventCounts),
    hottestItem: describeItem(item, tables),
    hottestWrites,
    itemsWritten: counts.length,
    itemsWrittenMoreThanOnce: counts.filter((count) => count > 1).length,
  };
}

/**
 * Per-item write counts at the SDK boundary during one burst, with the processor's concurrency:
 * hookwatch through its message processor (signature checks off, as in the CI test: they write
 * nothing), the baseline through its own. hookwatch's burst stops early at `stopAtMs`.
 */
export async function measureHotKeys(
  context: BenchContext,
  options: { events?: number; baselineEvents?: number; stopAtMs?: number } = {},
): Promise<HotKeyResult> {
  const plannedEvents = options.events ?? HOT_KEY_EVENTS;
  const baselineEvents = options.baselineEvents ?? BASELINE_HOT_KEY_EVENTS;

  const hookwatch = await (async () => {
    const client = new DynamoDBClient({});
    const writes = countItemWrites(client);
    const tables = await createBenchTables(context, "hot-keys-hookwatch");
    const burstTables = {
      client,
      eventsTableName: tables.events,
      stateTableName: tables.state,
      retentionDays: 30,
    };
    const pages: BurstPage[] = [];
    const pager = { publish: async (page: BurstPage) => void pages.push(page) };
    const rules = { migration: context.rule, "step-up": context.rule };
    const messages = burstMessages(plannedEvents, context.appId);
    const started = performance.now();
    const processed = await drain(
      messages,
      (message) =>
        processMessage(
          {
            store: burstTables,
            intake: {
              client,
              stateTableName: tables.state,
              quarantineRetentionDays: 30,
              rejectedRetentionDays: 7,
            },
            appIds: [context.appId],
            metrics: new MetricsRecorder(),
            dynamodbLimit: createConcurrencyLimit(DYNAMODB_REQUESTS_IN_FLIGHT),
            bursts: createBurstTracker({ tables: burstTables, pager, rules, now: () => BASE + 60_000 }),
          },
          message,
        ),
      options.stopAtMs,
    );
    return summarize(writes, tables, {
      events: processed * EVENTS_PER_MESSAGE,
      plannedEvents,
      pages: pages.length,
      wallMs: performance.now() - started,
    });
  })();

  const baseline = await (async () => {
    const client = new DynamoDBClient({});
    const writes = countItemWrites(client);
    const sns = new SNSClient({});
    const snsDouble = mockClient(sns);
    snsDouble.on(PublishCommand).resolves({ MessageId: "bench" });
    const tables = await createBenchTables(context, "hot-keys-baseline");
    const processor = createBaselineProcessor({
      client,
      sns,
      topicArn: "arn:aws:sns:us-east-1:123456789012:hookwatch-bench-paging",
      eventsTableName: tables.events,
      counterTableName: tables.state,
      idempotencyTableName: tables.idempotency,
      appIds: [context.appId],
      rules: { migration: context.rule, "step-up": context.rule },
      retentionDays: 30,
    });
    processor.registerContext(benchLambdaContext("hookwatch-bench-baseline"));
    const messages = burstMessages(baselineEvents, context.appId);
    const started = performance.now();
    const processed = await drain(messages, (message) => processor.processMessage(message));
    const run = summarize(writes, tables, {
      events: processed * EVENTS_PER_MESSAGE,
      plannedEvents: baselineEvents,
      pages: snsDouble.commandCalls(PublishCommand).length,
      wallMs: performance.now() - started,
    });
    snsDouble.restore();
    return run;
  })();

  return {
    hookwatch,
    baseline,
    // Verified on the run, not assumed: only then is the baseline's count at hookwatch's N taken to be N.
    baselineCounterTakesEveryEvent: baseline.hottestWrites === baseline.events,
  };
}
