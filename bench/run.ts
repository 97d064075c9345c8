import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { LAMBDA_RUNTIME } from "../infra/hookwatch-function.js";
import { PROCESSOR_BATCHING_WINDOW } from "../infra/processor-functions.js";
import { startDynamoDbLocal } from "../local/dynamodb-local.js";
import { createPreludeSigner } from "../local/prelude-signer.js";
import { synthesizeStackTemplate } from "../local/stack-template.js";
import { tableDefinitionsFromTemplate } from "../local/tables-from-template.js";
import { BENCH_APP_ID, BENCH_RULE, type BenchContext } from "./bench-context.js";
import { COLD_START_SAMPLES, type ColdStartResult, measureColdStart } from "./cold-start.js";
import { BASELINE_HOT_KEY_EVENTS, HOT_KEY_EVENTS, type HotKeyResult, measureHotKeys } from "./hot-keys.js";
import {
  formatLargestBatch,
  LARGEST_BATCH_STEPS,
  type LargestBatchResult,
  measureLargestBatch,
} from "./largest-batch.js";
import { describeMachine } from "./machine.js";
import {
  OPENING_INVOCATIONS,
  OUTAGE_EVENTS,
  type OutageResults,
  runOutage,
  WARM_UP_EVENTS,
  warmUpDynamoDbLocal,
} from "./outage.js";
import { LATENCY_BURSTS, type LatencyResult, measurePipelineLatency } from "./pipeline-latency.js";
import { type BenchResults, dollarsPerMillionEvents, formatReport, ON_DEMAND_PRICE } from "./report.js";
import { summarizeThroughput } from "./throughput.js";
import { CASE_SAMPLES, measureWriteCost } from "./write-cost.js";

/** The limit for the whole run on a 2-core machine. */
const BUDGET_MS = 10 * 60_000;
/** The hot-key burst stops here if not done, leaving the latency run (about 2 minutes) its time. */
const HOT_KEYS_STOP_MS = 7 * 60_000;
/** The largest-batch search leaves out a step that would end after this long. */
const LARGEST_BATCH_BUDGET_MS = 3 * 60_000;
/** No latency burst starts after this. */
const LATENCY_STOP_MS = 9 * 60_000 + 15_000;
const RESULTS_FILE = fileURLToPath(new URL("./results.json", import.meta.url));
const { values: args } = parseArgs({ options: { only: { type: "string" } } });
if (args.only !== undefined && args.only !== "largest-batch") {
  console.error(`bench: --only takes "largest-batch" (the one part that runs alone), not "${args.only}"`);
  process.exit(2);
}

const began = Date.now();
const progress = (step: string) =>
  process.stderr.write(`[${String(Math.round((Date.now() - began) / 1000)).padStart(4)} s] ${step}\n`);

// Loopback only, dummy credentials: nothing the bench runs can reach AWS.
process.env.AWS_REGION = "us-east-1";
process.env.AWS_ACCESS_KEY_ID = "bench";
process.env.AWS_SECRET_ACCESS_KEY = "bench";
process.env.AWS_ENDPOINT_URL = "http://127.0.0.1:9";
// The bench may run on Node 20; the deployed functions run Node 24, where the SDK has nothing to say.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
for (const name of ["AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"]) delete process.env[name];

function notesFrom(
  writeCost: BenchResults["writeCost"],
  outage: OutageResults,
  hotKeys: HotKeyResult,
  coldStart: readonly ColdStartResult[],
  latency: LatencyResult,
): string[] {
  const notes: string[] = [
    "WRU/RRU: write and read request units from ReturnConsumedCapacity INDEXES (GSI writes included, transactions 2×), per event; writes: items written per event. Floor: one item under 1 KB written once, 1 WRU.",
  ];
  for (const [name, row] of Object.entries(writeCost)) {
    for (const [implementation, cost] of Object.entries(row)) {
      if (name !== "outage" && cost.failedReceives > 0) {
        notes.push(
          `Write cost, ${name}, ${implementation}: ${cost.failedReceives} message receives failed and were retried, their writes included (${cost.firstFailure}).`,
        );
      }
    }
  }
  const price = (cost: { writeUnits: number; readUnits: number }) =>
    `$${dollarsPerMillionEvents(cost).toFixed(2)}`;
  notes.push(
    `DynamoDB requests per million events at on-demand list prices in us-east-1 ($${ON_DEMAND_PRICE.perMillionWriteUnits}/M WRU, $${ON_DEMAND_PRICE.perMillionReadUnits}/M RRU), from the outage average: hookwatch ${price(writeCost.outage.hookwatch)}, baseline ${price(writeCost.outage.baseline)}; from single new response-level events: hookwatch ${price(writeCost["new-response"].hookwatch)}, baseline ${price(writeCost["new-response"].baseline)}.`,
  );
  const hookwatchOutage = outage.hookwatch.total;
  const estimated = hookwatchOutage.capacity.estimatedWriteUnits;
  if (estimated > 0) {
    notes.push(
      `${number(estimated)} of hookwatch's ${number(hookwatchOutage.capacity.writeUnits)} outage WRU come from ${hookwatchOutage.capacity.failedConditionalWrites} failed conditional writes (racing claims and openers): DynamoDB bills them but returns no ConsumedCapacity with the error, so they are computed from item sizes (1 WRU per KB of the larger item).`,
    );
  }
  const missing = Object.values(outage).reduce(
    (sum, run) => sum + run.total.capacity.callsWithoutCapacity,
    0,
  );
  if (missing > 0) notes.push(`${missing} DynamoDB calls returned no ConsumedCapacity and are not counted.`);
  for (const [name, run] of Object.entries(outage)) {
    if (run.total.batchItemFailures > 0) {
      notes.push(
        `${name}: ${run.total.batchItemFailures} message receives failed during the outage and were retried at once (${run.total.messagesLost} still failing after 3 receives); first failure: ${run.total.firstFailure}.`,
      );
    }
  }
  notes.push(
    `Throughput: the outage's steady state, after its first ${OPENING_INVOCATIONS} invocations (burst opening, the worker's JIT) and after ${number(WARM_UP_EVENTS)} unmeasured events that warm DynamoDB Local's JVM; one invocation at a time, so events/s is mostly DynamoDB Local's latency. CPU ms is the handler's Node process alone.`,
  );
  notes.push(
    `Pages published during the outage: hookwatch ${outage.hookwatch.total.pagesPublished}, baseline ${outage.baseline.total.pagesPublished} (its counter is per fixed window: one page per window the outage spans).`,
  );
  const hot = hotKeys.hookwatch;
  notes.push(
    `Hot key: ${number(hot.itemsWrittenMoreThanOnce)} of the ${number(hot.itemsWritten)} items hookwatch wrote were written more than once; the most writes to one event item: ${hot.maxWritesToAnEvent}.`,
  );
  if (hot.events < hot.plannedEvents) {
    notes.push(
      `Hot key: hookwatch's burst stopped at ${number(hot.events)} of ${number(hot.plannedEvents)} events to keep the bench within 10 minutes; its per-item maximum is set while the burst opens and does not grow with N (test/bursts/hot-keys.test.ts runs the full burst in CI).`,
    );
  }
  if (!hotKeys.baselineCounterTakesEveryEvent) {
    notes.push(
      "Hot key: the baseline's hottest item did not take every event of its run; no baseline figure at N.",
    );
  }
  for (const bundle of coldStart) {
    if (bundle.networkAtImport.length > 0) {
      notes.push(
        `${bundle.name}: importing the bundle left network resources open (${bundle.networkAtImport.join(", ")}).`,
      );
    }
  }
  notes.push(
    `Cold start: bundles built by CDK's NodejsFunction through infra/hookwatch-function.ts (the processor's construct); imported with NODE_OPTIONS="${coldStart[0]?.nodeOptions ?? ""}" as the function sets it, on Node ${process.version} (the function runs ${LAMBDA_RUNTIME.name} on arm64).`,
  );
  if (latency.measured && latency.deviations.length > 0) {
    notes.push(`Local pipeline differs from the stack: ${latency.deviations.join("; ")}.`);
  }
  return notes;
}

const number = (value: number) => value.toLocaleString("en-US", { maximumFractionDigits: 1 });

async function main(): Promise<void> {
  const machine = describeMachine();
  progress("starting DynamoDB Local and synthesizing the stack's tables");
  const dynamodb = await startDynamoDbLocal();
  const outdir = await mkdtemp(join(tmpdir(), "hookwatch-bench-cdk-"));
  const signer = createPreludeSigner();
  const jwks = await signer.serveJwks();
  let coldStart: ColdStartResult[];
  let outage: OutageResults;
  let writeCost: BenchResults["writeCost"];
  let hotKeys: HotKeyResult;
  let largestBatch: LargestBatchResult;
  try {
    process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamodb.endpoint;
    const context: BenchContext = {
      client: new DynamoDBClient({}),
      tableDefinitions: tableDefinitionsFromTemplate(synthesizeStackTemplate({ appIds: BENCH_APP_ID })),
      signer,
      jwksUrl: jwks.url,
      appId: BENCH_APP_ID,
      rule: BENCH_RULE,
    };
    const searchLargestBatch = () => {
      progress(
        `largest batch: one invocation of 10 messages × ${LARGEST_BATCH_STEPS.map(number).join(", ")} events`,
      );
      return measureLargestBatch(context, LARGEST_BATCH_BUDGET_MS);
    };
    if (args.only === "largest-batch") {
      progress(`warming DynamoDB Local up with ${number(WARM_UP_EVENTS)} events`);
      await warmUpDynamoDbLocal(context);
      console.log(formatLargestBatch(await searchLargestBatch()));
      return;
    }
    progress(`cold start: bundling through CDK, then ${COLD_START_SAMPLES} fresh Node processes per bundle`);
    coldStart = await measureColdStart(outdir);
    progress(
      `outage: ${number(WARM_UP_EVENTS)} warm-up events, then ${number(OUTAGE_EVENTS)} through each handler`,
    );
    outage = await runOutage(context);
    progress(`write cost per case (${CASE_SAMPLES} invocations each)`);
    writeCost = await measureWriteCost(context, outage);
    largestBatch = await searchLargestBatch();
    progress(
      `hot keys: hookwatch ${number(HOT_KEY_EVENTS)} events (stops at ${HOT_KEYS_STOP_MS / 60_000} min), baseline ${number(BASELINE_HOT_KEY_EVENTS)}`,
    );
    hotKeys = await measureHotKeys(context, { stopAtMs: began + HOT_KEYS_STOP_MS });
  } finally {
    await jwks.close();
    await dynamodb.stop();
    await rm(outdir, { recursive: true, force: true });
  }

  progress(`latency on the local pipeline (${LATENCY_BURSTS} bursts)`);
  const latency = await measurePipelineLatency(LATENCY_BURSTS, began + LATENCY_STOP_MS);

  const durationSeconds = (Date.now() - began) / 1000;
  const results: BenchResults = {
    generatedAt: new Date().toISOString(),
    durationSeconds,
    machine,
    settings: {
      burstRule: BENCH_RULE,
      caseSamples: CASE_SAMPLES,
      outageEvents: OUTAGE_EVENTS,
      warmUpEvents: WARM_UP_EVENTS,
      throughputSkipsInvocations: OPENING_INVOCATIONS,
      hotKeyEvents: hotKeys.hookwatch.events,
      baselineHotKeyEvents: BASELINE_HOT_KEY_EVENTS,
      coldStartSamples: COLD_START_SAMPLES,
      latencyBursts: LATENCY_BURSTS,
      batchingWindowMs: PROCESSOR_BATCHING_WINDOW.toMilliseconds(),
    },
    writeCost,
    hotKeys,
    coldStart,
    throughput: summarizeThroughput(outage),
    largestBatch,
    latency,
    notes: notesFrom(writeCost, outage, hotKeys, coldStart, latency),
  };
  await writeFile(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
  console.log(formatReport(results));
  if (Date.now() - began > BUDGET_MS) {
    console.log(
      `\nNote: this run took ${number(durationSeconds)} s, over the 10-minute budget on this machine.`,
    );
  }
  progress(`done; results in ${RESULTS_FILE}`);
}

main().catch((error: unknown) => {
  console.error("hookwatch bench failed:", error);
  process.exit(1);
});
