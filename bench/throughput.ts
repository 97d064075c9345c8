import type { Implementation } from "./handler-plan.js";
import type { OutageResults } from "./outage.js";

export interface Throughput {
  readonly events: number;
  /** Events per second of handler wall time, one invocation at a time (one Lambda instance). */
  readonly eventsPerSecond: number;
  /** CPU time of the handler's Node process per event: what Lambda bills, DynamoDB Local excluded. */
  readonly cpuMsPerEvent: number;
  readonly batchItemFailures: number;
  readonly pagesPublished: number;
}

export type ThroughputResult = Readonly<Record<Implementation, Throughput>>;

/**
 * Throughput of the outage run in its steady state (after the opening invocations): batches of 10
 * messages × 10 events, signatures verified, one invocation at a time.
 */
export function summarizeThroughput(outage: OutageResults): ThroughputResult {
  const of = (implementation: Implementation): Throughput => {
    const run = outage[implementation].steady;
    return {
      events: run.events,
      eventsPerSecond: run.events / (run.handlerWallMs / 1000),
      cpuMsPerEvent: run.handlerCpuMs / run.events,
      batchItemFailures: run.batchItemFailures,
      pagesPublished: run.pagesPublished,
    };
  };
  return { hookwatch: of("hookwatch"), baseline: of("baseline"), floor: of("floor") };
}
