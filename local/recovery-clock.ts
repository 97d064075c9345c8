import { randomUUID } from "node:crypto";
import type { Context, ScheduledEvent } from "aws-lambda";
import { LOCAL_ACCOUNT_ID } from "./local-aws.js";
import { lambdaContext, withTimeout } from "./sqs-poller.js";

export type ScheduledHandler = (event: ScheduledEvent, context: Context) => Promise<unknown>;

export interface RecoveryClockOptions {
  readonly handler: ScheduledHandler;
  /** Seconds between runs: the stack's schedule rate, or shorter for tests. */
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  readonly region: string;
  readonly functionName: string;
  readonly log: (line: string) => void;
}

export interface RecoveryClock {
  /** Stops the schedule and waits for a run in progress. */
  stop(): Promise<void>;
}

/** The event EventBridge sends a scheduled rule's target; `time` is the scheduled time, to the second. */
export function scheduledEvent(region: string, at: Date): ScheduledEvent {
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: LOCAL_ACCOUNT_ID,
    time: at.toISOString().replace(/\.\d{3}Z$/, "Z"),
    region,
    resources: [`arn:aws:events:${region}:${LOCAL_ACCOUNT_ID}:rule/hookwatch-local-recovery`],
    detail: {},
  };
}

/**
 * Runs the recovery handler on the stack's schedule, as EventBridge would. A run still going when the
 * next is due makes that tick skip (Lambda would run both; the next minute redoes the work anyway).
 */
export function startRecoveryClock(options: RecoveryClockOptions): RecoveryClock {
  let running: Promise<void> | undefined;
  let lastSummary = "";

  const run = () => {
    if (running !== undefined) return;
    const context = lambdaContext(options, Date.now() + options.timeoutSeconds * 1000);
    running = withTimeout(
      options.handler(scheduledEvent(options.region, new Date()), context),
      options.timeoutSeconds,
    )
      .then((outcome) => {
        const summary = describeOutcome(outcome);
        // A quiet pipeline runs every minute: say so once, not every minute.
        if (summary !== lastSummary) options.log(`recovery: ${summary}`);
        lastSummary = summary;
      })
      .catch((error: unknown) => {
        lastSummary = "";
        options.log(`recovery: failed (${(error as Error).message}); the next run retries`);
      })
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(run, options.intervalSeconds * 1000);

  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

interface RecoveryCounts {
  open?: number;
  paged?: number;
  resolved?: number;
  reminded?: number;
  storms?: { open?: number; warned?: number; resolved?: number };
}

function describeOutcome(outcome: unknown): string {
  const { open, paged, resolved, reminded, storms } = (outcome ?? {}) as RecoveryCounts;
  if (open === undefined) return "ran";
  const parts = [`${open} open burst(s), ${paged ?? 0} late page(s) sent, ${resolved ?? 0} resolved`];
  if (reminded) parts.push(`${reminded} reminder(s) sent`);
  if (storms?.open) {
    parts.push(
      `${storms.open} open response storm(s), ${storms.warned ?? 0} late warning(s), ${storms.resolved ?? 0} resolved`,
    );
  }
  return parts.join("; ");
}
