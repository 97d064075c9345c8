import { PROCESSOR_BATCH_SIZE, PROCESSOR_TIMEOUT } from "../infra/processor-functions.js";
import { type BenchContext, createBenchTables, runHandler } from "./bench-context.js";
import type { EventSpec, PhaseSpec } from "./handler-plan.js";

/** Lambda's limit on a synchronous invocation's payload, which an SQS batch is delivered as. */
export const LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024;
/**
 * Events per message of each step, smallest first: 10 messages each, as the stack's batch size
 * gives one invocation. 1,900 is the issue's goal (~19,000 events); 2,900 fills Lambda's 6 MB with
 * the bench's events (about 190 bytes each, smaller than Prelude's ~300).
 */
export const LARGEST_BATCH_STEPS = [100, 500, 1_000, 1_900, 2_900] as const;

export interface BatchStep {
  readonly messages: number;
  readonly events: number;
  readonly payloadBytes: number;
  /** Messages that failed on their only receive: each would be retried. */
  readonly failedMessages: number;
  readonly firstFailure?: string;
  readonly handlerMs: number;
  readonly eventsPerSecond: number;
  readonly peakRssBytes: number;
  /** Every event stored on the first receive: no message failed. */
  readonly storedWithoutRetry: boolean;
  /**
   * Within the processor's timeout. Here the time is DynamoDB Local's on this machine; DynamoDB
   * answers a write in milliseconds, so this says more about the machine than about Lambda.
   */
  readonly withinTimeout: boolean;
}

export interface LargestBatchResult {
  readonly steps: readonly BatchStep[];
  /** The largest step stored without a retry, if any. */
  readonly largest?: BatchStep;
  readonly timeoutMs: number;
  /** The steps left out because, at the rate measured so far, they would have run past the budget. */
  readonly skippedForBudget: readonly number[];
}

/** One invocation of the stack's batch size, every message carrying `perMessage` transport failures. */
function stepPlan(perMessage: number): PhaseSpec {
  const messages = Array.from({ length: PROCESSOR_BATCH_SIZE }, (_, message) =>
    Array.from(
      { length: perMessage },
      (_, index): EventSpec => ({ kind: "transport", id: `large-${perMessage}-${message}-${index}` }),
    ),
  );
  return { name: `batch of ${perMessage} per message`, invocations: [messages], maxReceives: 1 };
}

/**
 * The largest batch one processor invocation stores without a retry: one invocation per step,
 * each on fresh tables and in a fresh handler process (so its peak memory is its own), through the
 * unchanged Lambda handler with signatures on. Stops at the first step with a failed message, and
 * leaves out a step that, at the rate of the one before, would end after `budgetMs`.
 */
export async function measureLargestBatch(
  context: BenchContext,
  budgetMs: number,
): Promise<LargestBatchResult> {
  const began = Date.now();
  const timeoutMs = PROCESSOR_TIMEOUT.toMilliseconds();
  const steps: BatchStep[] = [];
  const skippedForBudget: number[] = [];
  for (const perMessage of LARGEST_BATCH_STEPS) {
    const rate = steps.at(-1)?.eventsPerSecond;
    const estimateMs = rate === undefined ? 0 : ((perMessage * PROCESSOR_BATCH_SIZE) / rate) * 1000;
    if (Date.now() - began + estimateMs > budgetMs) {
      skippedForBudget.push(perMessage * PROCESSOR_BATCH_SIZE);
      continue;
    }
    const tables = await createBenchTables(context, `largest-batch-${perMessage}`);
    const [phase] = await runHandler(context, "hookwatch", tables, [stepPlan(perMessage)]);
    if (phase === undefined) throw new Error("the handler worker returned no phase");
    const step: BatchStep = {
      messages: phase.messages,
      events: phase.events,
      payloadBytes: phase.largestInvocationBytes,
      failedMessages: phase.batchItemFailures,
      ...(phase.firstFailure === undefined ? {} : { firstFailure: phase.firstFailure }),
      handlerMs: phase.handlerWallMs,
      eventsPerSecond: phase.events / (phase.handlerWallMs / 1000),
      peakRssBytes: phase.peakRssBytes,
      storedWithoutRetry: phase.batchItemFailures === 0,
      withinTimeout: phase.handlerWallMs < timeoutMs,
    };
    steps.push(step);
    if (!step.storedWithoutRetry) break;
  }
  const largest = steps.filter((step) => step.storedWithoutRetry).at(-1);
  return { steps, timeoutMs, skippedForBudget, ...(largest === undefined ? {} : { largest }) };
}

const number = (value: number) => value.toLocaleString("en-US", { maximumFractionDigits: 0 });
const megabytes = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** The steps as a Markdown table. */
export function formatLargestBatch(result: LargestBatchResult): string {
  const rows = result.steps.map((step) =>
    [
      `${step.messages} × ${number(step.events / step.messages)}`,
      number(step.events),
      megabytes(step.payloadBytes),
      step.failedMessages === 0 ? "none" : `${step.failedMessages} (${step.firstFailure ?? "?"})`,
      `${(step.handlerMs / 1000).toFixed(1)} s${step.withinTimeout ? "" : ` (over ${result.timeoutMs / 1000} s)`}`,
      number(step.eventsPerSecond),
      megabytes(step.peakRssBytes),
      step.storedWithoutRetry ? "yes" : "no",
    ].join(" | "),
  );
  return [
    "| messages × events | events | payload | failed messages | handler time | events/s | peak RSS | stored without a retry |",
    "|---|---|---|---|---|---|---|---|",
    ...rows.map((row) => `| ${row} |`),
    ...(result.skippedForBudget.length === 0
      ? []
      : [
          "",
          `Not run, to keep within the time budget at this machine's rate: ${result.skippedForBudget.map(number).join(", ")} events.`,
        ]),
  ].join("\n");
}
