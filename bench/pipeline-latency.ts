import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { LatencyRequest, LatencyResponse } from "./latency-worker.js";
import { percentile } from "./stats.js";

export const LATENCY_BURSTS = 50;

export type LatencyResult =
  | {
      readonly measured: true;
      readonly bursts: number;
      readonly requested: number;
      readonly medianMs: number;
      readonly p99Ms: number;
      readonly maxMs: number;
      /** Where the local pipeline differs from the stack, as it reports itself. */
      readonly deviations: readonly string[];
      /** To the PagerDuty stand-in's incident, through the delivery queue and function, same bursts. */
      readonly delivery?: { readonly medianMs: number; readonly p99Ms: number; readonly maxMs: number };
    }
  | { readonly measured: false; readonly reason: string };

/**
 * From the POST that crosses the threshold to the trigger page in the local pipeline's pager file,
 * over `bursts` bursts, each in its own app and hook. The pipeline (`npm start`'s) runs in a child
 * process with its own DynamoDB Local, started after the bench's own has stopped.
 */
export async function measurePipelineLatency(bursts: number, deadlineMs: number): Promise<LatencyResult> {
  const worker = fork(fileURLToPath(new URL("./latency-worker.ts", import.meta.url)), {
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  let stderr = "";
  worker.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const response = await new Promise<LatencyResponse>((resolve) => {
    let answered = false;
    worker.once("message", (message: LatencyResponse) => {
      answered = true;
      resolve(message);
    });
    worker.once("exit", (code) => {
      if (!answered) resolve({ ok: false, error: `the latency worker exited with ${code}: ${stderr}` });
    });
    const request: LatencyRequest = { bursts, deadlineMs };
    worker.send(request);
  });
  if (!response.ok) return { measured: false, reason: `not measured: ${response.error.split("\n")[0]}` };
  const { latenciesMs, deliveryLatenciesMs } = response;
  if (latenciesMs.length === 0)
    return { measured: false, reason: "not measured: no time left in the bench's budget" };
  return {
    measured: true,
    bursts: latenciesMs.length,
    requested: response.requested,
    medianMs: percentile(latenciesMs, 50),
    p99Ms: percentile(latenciesMs, 99),
    maxMs: Math.max(...latenciesMs),
    deviations: response.deviations,
    ...(deliveryLatenciesMs.length === 0
      ? {}
      : {
          delivery: {
            medianMs: percentile(deliveryLatenciesMs, 50),
            p99Ms: percentile(deliveryLatenciesMs, 99),
            maxMs: Math.max(...deliveryLatenciesMs),
          },
        }),
  };
}
