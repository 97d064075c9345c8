import type { CapacityTotals } from "./capacity-meter.js";

/** The handlers the bench drives through the SQS batch contract. */
export type Implementation = "hookwatch" | "baseline" | "floor";

/** Module of each handler, relative to the bench folder. */
export const HANDLER_MODULES: Readonly<Record<Implementation, string>> = {
  hookwatch: "../lambdas/processor/handler.js",
  baseline: "./baseline/handler.js",
  floor: "./floor/store-only-handler.js",
};

/**
 * One event to send. `occurred_at` is the send time plus `offsetSeconds`, so a burst happens "now"
 * for the handler's real clock. `repeat` resends an earlier event byte for byte (a duplicate).
 */
export type EventSpec =
  | { readonly kind: "response"; readonly id: string; readonly offsetSeconds?: number }
  | { readonly kind: "transport"; readonly id: string; readonly offsetSeconds?: number }
  | { readonly kind: "repeat"; readonly id: string };

/** One invocation: SQS messages (webhook POSTs), each a batch of events. */
export type InvocationSpec = readonly (readonly EventSpec[])[];

export interface PhaseSpec {
  readonly name: string;
  readonly invocations: readonly InvocationSpec[];
  /** Receives of a failed message before it is given up (1: no retry). @default 3 */
  readonly maxReceives?: number;
}

export interface WorkerRequest {
  readonly implementation: Implementation;
  readonly appId: string;
  readonly signingKeyPem: string;
  readonly phases: readonly PhaseSpec[];
}

export interface PhaseResult {
  readonly name: string;
  readonly invocations: number;
  readonly messages: number;
  readonly events: number;
  readonly capacity: CapacityTotals;
  /** Wall time inside the handler, summed over invocations. */
  readonly handlerWallMs: number;
  /** CPU time of the worker process inside the handler (user + system), summed over invocations. */
  readonly handlerCpuMs: number;
  /** Message receives that failed (each retried at once, as SQS would redeliver it). */
  readonly batchItemFailures: number;
  /** Messages still failing after the last receive. */
  readonly messagesLost: number;
  /** Why the first failure failed. */
  readonly firstFailure?: string;
  readonly pagesPublished: number;
  /** The largest invocation's payload (the SQS event as JSON), in bytes: Lambda accepts up to 6 MB. */
  readonly largestInvocationBytes: number;
  /** The worker process's peak resident memory so far (`maxRSS`), in bytes. */
  readonly peakRssBytes: number;
}

export type WorkerResponse =
  | { readonly ok: true; readonly phases: readonly PhaseResult[] }
  | { readonly ok: false; readonly error: string };
