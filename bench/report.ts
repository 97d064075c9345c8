import type { BurstRule } from "../lambdas/runtime/config.js";
import type { ColdStartResult } from "./cold-start.js";
import type { HotKeyResult } from "./hot-keys.js";
import { formatLargestBatch, type LargestBatchResult } from "./largest-batch.js";
import type { Machine } from "./machine.js";
import type { LatencyResult } from "./pipeline-latency.js";
import type { ThroughputResult } from "./throughput.js";
import { WRITE_CASE_LABELS, type WriteCase, type WriteCost, type WriteCostResult } from "./write-cost.js";

export interface BenchResults {
  readonly generatedAt: string;
  readonly durationSeconds: number;
  readonly machine: Machine;
  readonly settings: {
    readonly burstRule: BurstRule;
    readonly caseSamples: number;
    readonly outageEvents: number;
    /** Events through the floor handler before the outages, unmeasured: DynamoDB Local's JVM warms up. */
    readonly warmUpEvents: number;
    /** Invocations at the start of each outage that throughput leaves out (JIT warm-up, burst opening). */
    readonly throughputSkipsInvocations: number;
    readonly hotKeyEvents: number;
    readonly baselineHotKeyEvents: number;
    readonly coldStartSamples: number;
    readonly latencyBursts: number;
    /** The event source's maximum batching window: the latency floor of the deployed design. */
    readonly batchingWindowMs: number;
  };
  readonly writeCost: WriteCostResult;
  readonly hotKeys: HotKeyResult;
  readonly coldStart: readonly ColdStartResult[];
  readonly throughput: ThroughputResult;
  /** The largest batch one processor invocation stores without a retry, step by step. */
  readonly largestBatch: LargestBatchResult;
  readonly latency: LatencyResult;
  /** What a reader must know to read this run's figures, derived from the run itself. */
  readonly notes: readonly string[];
}

/** The floor of write cost: one write of one item under 1 KB, no index, no bookkeeping. */
export const WRITE_FLOOR = { writeUnits: 1, itemWrites: 1 } as const;

/** DynamoDB on-demand list prices in us-east-1 (USD per million request units) since November 2024. */
export const ON_DEMAND_PRICE = { perMillionWriteUnits: 0.625, perMillionReadUnits: 0.125 } as const;

/** What one million events cost in DynamoDB requests at `ON_DEMAND_PRICE`, from measured units per event. */
export function dollarsPerMillionEvents(cost: { writeUnits: number; readUnits: number }): number {
  return (
    cost.writeUnits * ON_DEMAND_PRICE.perMillionWriteUnits +
    cost.readUnits * ON_DEMAND_PRICE.perMillionReadUnits
  );
}

const number = (value: number, digits = 0) =>
  Number.isFinite(value)
    ? value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : "n/a";
const ratio = (value: number, base: number) => {
  if (!Number.isFinite(value) || !Number.isFinite(base) || base === 0) return "n/a";
  const quotient = value / base;
  // Two significant digits when two decimals would round a small ratio away.
  return `${quotient !== 0 && Math.abs(quotient) < 0.01 ? quotient.toPrecision(2) : quotient.toFixed(2)}×`;
};
const kib = (bytes: number) => `${number(bytes / 1024, 1)} KiB`;

type Row = readonly [
  figure: string,
  hookwatch: string,
  baseline: string,
  floor: string,
  vsBaseline: string,
  vsFloor: string,
];

function writeCell(cost: WriteCost): string {
  return `${number(cost.writeUnits, 2)} WRU · ${number(cost.itemWrites, 2)} writes · ${number(cost.readUnits, 2)} RRU`;
}

function writeRows(results: BenchResults): Row[] {
  const floor = `${WRITE_FLOOR.writeUnits} WRU · ${WRITE_FLOOR.itemWrites} write`;
  return (Object.keys(WRITE_CASE_LABELS) as WriteCase[]).map((name) => {
    const { hookwatch, baseline } = results.writeCost[name];
    const label =
      name === "outage"
        ? `${WRITE_CASE_LABELS[name]} (${number(hookwatch.events)} events)`
        : name === "burst-opening"
          ? `${WRITE_CASE_LABELS[name]} (${hookwatch.events} failures, per event)`
          : WRITE_CASE_LABELS[name];
    return [
      `Write cost per event: ${label}`,
      writeCell(hookwatch),
      writeCell(baseline),
      floor,
      ratio(hookwatch.writeUnits, baseline.writeUnits),
      ratio(hookwatch.writeUnits, WRITE_FLOOR.writeUnits),
    ];
  });
}

function hotKeyRows(results: BenchResults): Row[] {
  const { hookwatch, baseline, baselineCounterTakesEveryEvent } = results.hotKeys;
  // The baseline's counter item takes every event (verified on its own run), so at hookwatch's N it takes N.
  const baselineAtN = baselineCounterTakesEveryEvent ? hookwatch.events : Number.NaN;
  const planned =
    hookwatch.events < hookwatch.plannedEvents
      ? ` (first ${number(hookwatch.events)} of a ${number(hookwatch.plannedEvents)}-event minute)`
      : "";
  return [
    [
      `Hot key: most writes to one item, ${number(hookwatch.events)}-event burst in one minute${planned}`,
      `${number(hookwatch.hottestWrites)} (${hookwatch.hottestItem})`,
      `${number(baselineAtN)} (${baseline.hottestItem}; ran ${number(baseline.events)} events: ${number(baseline.hottestWrites)} writes, one per event)`,
      "1",
      ratio(hookwatch.hottestWrites, baselineAtN),
      ratio(hookwatch.hottestWrites, 1),
    ],
  ];
}

function coldStartRows(results: BenchResults): Row[] {
  const of = (name: string) => results.coldStart.find((bundle) => bundle.name === name);
  const hookwatch = of("hookwatch");
  const baseline = of("baseline");
  const floor = of("floor");
  if (!hookwatch || !baseline || !floor) return [];
  const row = (
    figure: string,
    pick: (bundle: ColdStartResult) => number,
    show: (value: number) => string,
  ): Row => [
    figure,
    show(pick(hookwatch)),
    show(pick(baseline)),
    show(pick(floor)),
    ratio(pick(hookwatch), pick(baseline)),
    ratio(pick(hookwatch), pick(floor)),
  ];
  const ms = (value: number) => `${number(value, 1)} ms`;
  return [
    row("Cold start: bundle size (index.mjs)", (bundle) => bundle.bytes, kib),
    row("Cold start: bundle size gzipped", (bundle) => bundle.gzipBytes, kib),
    row(`Cold start: module init, median of ${hookwatch.samples}`, (bundle) => bundle.initMedianMs, ms),
    row(`Cold start: module init, p90 of ${hookwatch.samples}`, (bundle) => bundle.initP90Ms, ms),
    ...deliveryColdStartRows(of("delivery"), floor),
  ];
}

/** The delivery function beside the floor (the baseline has no delivery function). */
function deliveryColdStartRows(delivery: ColdStartResult | undefined, floor: ColdStartResult): Row[] {
  if (delivery === undefined) return [];
  const ms = (value: number) => `${number(value, 1)} ms`;
  const none = "n/a (no delivery function)";
  return [
    [
      "Cold start: delivery function bundle (index.mjs)",
      kib(delivery.bytes),
      none,
      kib(floor.bytes),
      "n/a",
      ratio(delivery.bytes, floor.bytes),
    ],
    [
      `Cold start: delivery function module init, median of ${delivery.samples}`,
      ms(delivery.initMedianMs),
      none,
      ms(floor.initMedianMs),
      "n/a",
      ratio(delivery.initMedianMs, floor.initMedianMs),
    ],
  ];
}

function throughputRows(results: BenchResults): Row[] {
  const { hookwatch, baseline, floor } = results.throughput;
  const events =
    hookwatch.events === baseline.events && baseline.events === floor.events
      ? `${number(hookwatch.events)} events each`
      : `${number(hookwatch.events)} / ${number(baseline.events)} / ${number(floor.events)} events`;
  return [
    [
      `Throughput: events/s, 10×10 batches, signatures on, steady state (${events})`,
      number(hookwatch.eventsPerSecond),
      number(baseline.eventsPerSecond),
      number(floor.eventsPerSecond),
      ratio(hookwatch.eventsPerSecond, baseline.eventsPerSecond),
      ratio(hookwatch.eventsPerSecond, floor.eventsPerSecond),
    ],
    [
      "Throughput: CPU ms per event (handler process; DynamoDB Local excluded)",
      number(hookwatch.cpuMsPerEvent, 2),
      number(baseline.cpuMsPerEvent, 2),
      number(floor.cpuMsPerEvent, 2),
      ratio(hookwatch.cpuMsPerEvent, baseline.cpuMsPerEvent),
      ratio(hookwatch.cpuMsPerEvent, floor.cpuMsPerEvent),
    ],
  ];
}

function latencyRows(results: BenchResults): Row[] {
  const { latency } = results;
  const windowMs = results.settings.batchingWindowMs;
  const floor = `${number(windowMs)} ms (batching window)`;
  const notBuilt = "not measured (no local pipeline for it)";
  if (!latency.measured) {
    return [["Latency: crossing POST → page in pager file", latency.reason, notBuilt, floor, "n/a", "n/a"]];
  }
  const over = `over ${latency.bursts} bursts${latency.bursts < latency.requested ? ` of ${latency.requested} planned` : ""}`;
  return [
    [
      `Latency: crossing POST → page, median ${over}`,
      `${number(latency.medianMs)} ms`,
      notBuilt,
      floor,
      "n/a",
      ratio(latency.medianMs, windowMs),
    ],
    [
      // Nearest rank: below 100 samples the p99 is the slowest one.
      `Latency: crossing POST → page, p99${latency.bursts < 100 ? " (the slowest)" : ""} ${over}`,
      `${number(latency.p99Ms)} ms`,
      notBuilt,
      floor,
      "n/a",
      ratio(latency.p99Ms, windowMs),
    ],
    ...(latency.delivery === undefined
      ? []
      : [
          [
            `Latency: crossing POST → PagerDuty stand-in's trigger (delivery queue and function), median ${over}`,
            `${number(latency.delivery.medianMs)} ms (SNS page: ${number(latency.medianMs)} ms)`,
            notBuilt,
            floor,
            "n/a",
            ratio(latency.delivery.medianMs, windowMs),
          ] as Row,
          [
            `Latency: crossing POST → PagerDuty stand-in's trigger, p99 ${over}`,
            `${number(latency.delivery.p99Ms)} ms (SNS page: ${number(latency.p99Ms)} ms)`,
            notBuilt,
            floor,
            "n/a",
            ratio(latency.delivery.p99Ms, windowMs),
          ] as Row,
        ]),
  ];
}

/** The run's figures as a Markdown table, each beside its baseline and floor. */
export function formatTable(results: BenchResults): string {
  const header: Row = [
    "Figure",
    "hookwatch",
    "baseline (Powertools)",
    "floor",
    "hookwatch ÷ baseline",
    "hookwatch ÷ floor",
  ];
  const rows = [
    ...writeRows(results),
    ...hotKeyRows(results),
    ...coldStartRows(results),
    ...throughputRows(results),
    ...latencyRows(results),
  ];
  const line = (row: Row) => `| ${row.join(" | ")} |`;
  return [line(header), `|${header.map(() => "---").join("|")}|`, ...rows.map(line)].join("\n");
}

export function formatReport(results: BenchResults): string {
  const { machine } = results;
  return [
    `hookwatch bench, ${results.generatedAt}, ${number(results.durationSeconds)} s`,
    `Machine: ${machine.cpuModel}, ${machine.nproc} CPUs (nproc), ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.platform}`,
    `Burst rule: ${results.settings.burstRule.threshold} failures in ${results.settings.burstRule.windowSeconds} s; DynamoDB Local on this machine`,
    "",
    formatTable(results),
    "",
    ...results.notes.map((note) => `- ${note}`),
    "",
    `Largest batch one invocation stores without a retry (one invocation per step, handler timeout ${results.largestBatch.timeoutMs / 1000} s):`,
    "",
    formatLargestBatch(results.largestBatch),
  ].join("\n");
}
