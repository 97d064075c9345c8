import { type BenchContext, createBenchTables, runHandler } from "./bench-context.js";
import type { EventSpec, PhaseResult, PhaseSpec } from "./handler-plan.js";
import type { OutageResults } from "./outage.js";

/** Invocations per case; each is one SQS message carrying one event. */
export const CASE_SAMPLES = 5;

export type WriteCase =
  | "new-response"
  | "duplicate"
  | "below-threshold"
  | "duplicate-transport"
  | "burst-opening"
  | "inside-burst"
  | "outage";

export const WRITE_CASE_LABELS: Readonly<Record<WriteCase, string>> = {
  "new-response": "new response-level event",
  duplicate: "duplicate response-level event",
  "below-threshold": "transport failure below threshold",
  "duplicate-transport": "duplicate transport failure below threshold",
  "burst-opening": "the batch that opens a burst",
  "inside-burst": "transport failure inside open burst",
  outage: "average over the outage",
};

/** Per event, as DynamoDB bills it. */
export interface WriteCost {
  readonly events: number;
  readonly writeUnits: number;
  readonly itemWrites: number;
  readonly readUnits: number;
  /** Part of `writeUnits` computed from item sizes (failed conditional writes). */
  readonly estimatedWriteUnits: number;
  readonly callsWithoutCapacity: number;
  /** Message receives that failed and were retried (their retries are in the figures); 0 normally. */
  readonly failedReceives: number;
  readonly firstFailure?: string;
}

export type WriteCostResult = Readonly<Record<WriteCase, { hookwatch: WriteCost; baseline: WriteCost }>>;

const single = (spec: EventSpec) => [[spec]];

/**
 * The cases, in one table set per implementation and in this order: response-level events, the
 * same events again, lone transport failures an hour ago (5 minutes apart, so no window fills),
 * the same failures again, one batch of `threshold` failures now (opens a burst and pages), then single failures inside it.
 */
function casesPlan(threshold: number): PhaseSpec[] {
  const samples = Array.from({ length: CASE_SAMPLES }, (_, index) => index);
  return [
    {
      name: "new-response",
      invocations: samples.map((i) => single({ kind: "response", id: `response-${i}` })),
    },
    { name: "duplicate", invocations: samples.map((i) => single({ kind: "repeat", id: `response-${i}` })) },
    {
      name: "below-threshold",
      invocations: samples.map((i) =>
        single({ kind: "transport", id: `lone-${i}`, offsetSeconds: -3_600 - i * 300 }),
      ),
    },
    {
      name: "duplicate-transport",
      invocations: samples.map((i) => single({ kind: "repeat", id: `lone-${i}` })),
    },
    {
      name: "burst-opening",
      invocations: [
        [Array.from({ length: threshold }, (_, i): EventSpec => ({ kind: "transport", id: `opening-${i}` }))],
      ],
    },
    {
      name: "inside-burst",
      invocations: samples.map((i) => single({ kind: "transport", id: `inside-${i}` })),
    },
  ];
}

function perEvent(phase: PhaseResult): WriteCost {
  const { capacity, events } = phase;
  return {
    failedReceives: phase.batchItemFailures,
    ...(phase.firstFailure === undefined ? {} : { firstFailure: phase.firstFailure }),
    events,
    writeUnits: capacity.writeUnits / events,
    itemWrites: capacity.itemWrites / events,
    readUnits: capacity.readUnits / events,
    estimatedWriteUnits: capacity.estimatedWriteUnits / events,
    callsWithoutCapacity: capacity.callsWithoutCapacity,
  };
}

function byName(phases: readonly PhaseResult[], name: string): PhaseResult {
  const phase = phases.find((candidate) => candidate.name === name);
  if (!phase) throw new Error(`the write-cost run returned no "${name}" phase`);
  return phase;
}

/**
 * Write capacity per event for each case, through each implementation's Lambda handler with
 * signatures on, on fresh tables; the outage row comes from the outage run.
 */
export async function measureWriteCost(
  context: BenchContext,
  outage: OutageResults,
): Promise<WriteCostResult> {
  const plan = casesPlan(context.rule.threshold);
  const runs = {} as Record<"hookwatch" | "baseline", PhaseResult[]>;
  for (const implementation of ["hookwatch", "baseline"] as const) {
    const tables = await createBenchTables(context, `write-cost-${implementation}`);
    runs[implementation] = await runHandler(context, implementation, tables, plan);
  }
  const row = (name: Exclude<WriteCase, "outage">) => {
    const costOf = (phases: readonly PhaseResult[]) => {
      return perEvent(byName(phases, name));
    };
    return { hookwatch: costOf(runs.hookwatch), baseline: costOf(runs.baseline) };
  };
  return {
    "new-response": row("new-response"),
    duplicate: row("duplicate"),
    "below-threshold": row("below-threshold"),
    "duplicate-transport": row("duplicate-transport"),
    "burst-opening": row("burst-opening"),
    "inside-burst": row("inside-burst"),
    outage: {
      hookwatch: perEvent(outage.hookwatch.total),
      baseline: perEvent(outage.baseline.total),
    },
  };
}
