import {
  type BenchContext,
  createBenchTables,
  type HandlerWorker,
  runHandler,
  startHandlerWorker,
} from "./bench-context.js";
import { type CapacityTotals, NO_CAPACITY } from "./capacity-meter.js";
import type { EventSpec, Implementation, PhaseResult, PhaseSpec } from "./handler-plan.js";

/** Events in the outage that write cost averages over and throughput is measured on. */
export const OUTAGE_EVENTS = 10_000;
/** Lambda's SQS batch in the stack (10 messages), each POST carrying 10 events. */
export const MESSAGES_PER_INVOCATION = 10;
export const EVENTS_PER_MESSAGE = 10;
/** Invocations at the start of each outage left out of throughput: the worker's JIT warms up, the burst opens. */
export const OPENING_INVOCATIONS = 10;
/** Invocations each implementation runs before the next takes its turn. */
const ROUND_INVOCATIONS = 10;
/** Events sent through the floor handler, unmeasured, before any outage: DynamoDB Local's JVM warms up. */
export const WARM_UP_EVENTS = 3_000;

/**
 * A hook outage as the processor sees it: `events` transport failures of one app and hook, in
 * invocations of 10 signed messages × 10 events, each stamped with the time it is sent, so the
 * burst happens now for the handler's real clock and stays open throughout. Phases of
 * `ROUND_INVOCATIONS` invocations: the opening, then the steady state.
 */
export function outagePlan(events: number): PhaseSpec[] {
  const perInvocation = MESSAGES_PER_INVOCATION * EVENTS_PER_MESSAGE;
  const invocations = Array.from({ length: Math.ceil(events / perInvocation) }, (_, invocation) =>
    Array.from({ length: MESSAGES_PER_INVOCATION }, (_, message) =>
      Array.from(
        { length: EVENTS_PER_MESSAGE },
        (_, index): EventSpec => ({
          kind: "transport",
          id: `outage-${invocation}-${message}-${index}`,
        }),
      ),
    ),
  );
  const phases: PhaseSpec[] = [{ name: "opening", invocations: invocations.slice(0, OPENING_INVOCATIONS) }];
  for (let first = OPENING_INVOCATIONS; first < invocations.length; first += ROUND_INVOCATIONS) {
    phases.push({ name: "steady", invocations: invocations.slice(first, first + ROUND_INVOCATIONS) });
  }
  return phases;
}

export interface OutageRun {
  /** The whole outage, opening included: what write cost averages over. */
  readonly total: PhaseResult;
  /** After the opening invocations: what throughput is measured on. */
  readonly steady: PhaseResult;
}

export type OutageResults = Readonly<Record<Implementation, OutageRun>>;

function addCapacity(a: CapacityTotals, b: CapacityTotals): CapacityTotals {
  return Object.fromEntries(
    Object.keys(NO_CAPACITY).map((key) => [
      key,
      a[key as keyof CapacityTotals] + b[key as keyof CapacityTotals],
    ]),
  ) as unknown as CapacityTotals;
}

function combine(name: string, phases: readonly PhaseResult[]): PhaseResult {
  return phases.reduce<PhaseResult>(
    (sum, phase) => ({
      name,
      invocations: sum.invocations + phase.invocations,
      messages: sum.messages + phase.messages,
      events: sum.events + phase.events,
      capacity: addCapacity(sum.capacity, phase.capacity),
      handlerWallMs: sum.handlerWallMs + phase.handlerWallMs,
      handlerCpuMs: sum.handlerCpuMs + phase.handlerCpuMs,
      batchItemFailures: sum.batchItemFailures + phase.batchItemFailures,
      messagesLost: sum.messagesLost + phase.messagesLost,
      ...((sum.firstFailure ?? phase.firstFailure) === undefined
        ? {}
        : { firstFailure: sum.firstFailure ?? phase.firstFailure }),
      pagesPublished: sum.pagesPublished + phase.pagesPublished,
      largestInvocationBytes: Math.max(sum.largestInvocationBytes, phase.largestInvocationBytes),
      peakRssBytes: Math.max(sum.peakRssBytes, phase.peakRssBytes),
    }),
    {
      name,
      invocations: 0,
      messages: 0,
      events: 0,
      capacity: NO_CAPACITY,
      handlerWallMs: 0,
      handlerCpuMs: 0,
      batchItemFailures: 0,
      messagesLost: 0,
      pagesPublished: 0,
      largestInvocationBytes: 0,
      peakRssBytes: 0,
    },
  );
}

const IMPLEMENTATIONS: readonly Implementation[] = ["hookwatch", "baseline", "floor"];

/** Unmeasured events through the floor handler: DynamoDB Local's JVM is slow until it has warmed up. */
export async function warmUpDynamoDbLocal(context: BenchContext): Promise<void> {
  const warmUpTables = await createBenchTables(context, "warm-up");
  await runHandler(context, "floor", warmUpTables, outagePlan(WARM_UP_EVENTS));
}

/**
 * Runs the outage through each implementation's handler, each in its own long-lived process on
 * fresh tables, in rounds: every implementation runs its next phase, in an order that rotates,
 * so DynamoDB Local's JVM, still warming up, and the machine's other load favour none of them.
 * An unmeasured warm-up goes first.
 */
export async function runOutage(context: BenchContext, events = OUTAGE_EVENTS): Promise<OutageResults> {
  await warmUpDynamoDbLocal(context);

  const plan = outagePlan(events);
  const workers = new Map<Implementation, HandlerWorker>();
  const done = new Map<Implementation, PhaseResult[]>(IMPLEMENTATIONS.map((name) => [name, []]));
  try {
    for (const implementation of IMPLEMENTATIONS) {
      const tables = await createBenchTables(context, `outage-${implementation}`);
      workers.set(implementation, startHandlerWorker(context, implementation, tables));
    }
    for (const [round, phase] of plan.entries()) {
      const order = IMPLEMENTATIONS.map((_, i) => IMPLEMENTATIONS[(i + round) % IMPLEMENTATIONS.length]);
      for (const implementation of order as Implementation[]) {
        const worker = workers.get(implementation) as HandlerWorker;
        done.get(implementation)?.push(...(await worker.run([phase])));
      }
    }
  } finally {
    for (const worker of workers.values()) worker.stop();
  }
  const runOf = (implementation: Implementation): OutageRun => {
    const phases = done.get(implementation) ?? [];
    return {
      total: combine("outage", phases),
      steady: combine(
        "steady",
        phases.filter((phase) => phase.name === "steady"),
      ),
    };
  };
  return { hookwatch: runOf("hookwatch"), baseline: runOf("baseline"), floor: runOf("floor") };
}
