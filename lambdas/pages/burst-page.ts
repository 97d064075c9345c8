import type { Hook } from "../runtime/hooks.js";

/** One sample event shown in a page. */
export interface PageSample {
  readonly key: string;
  readonly reason: string;
  readonly occurred_at: string;
  readonly dispatch_id?: string;
  readonly correlation_id?: string;
  readonly user_id?: string;
  readonly session_id?: string;
  readonly scope?: string;
}

/**
 * Everything a page or a resolve says about one burst. It is built from the burst's stored state,
 * so a repeated publish (after a crash or a retry) says the same thing under the same dedup key.
 */
export interface BurstPage {
  readonly action: "trigger" | "resolve";
  /**
   * Absent for a burst of transport failures (the hook is down). `response_storm`: a storm of
   * response-level failures, a `warning` whose count is `responseCount` and whose rule is the storm's.
   */
  readonly kind?: "response_storm";
  /** Stable per burst; the trigger and its resolve share it. */
  readonly dedupKey: string;
  readonly appId: string;
  readonly hook: Hook;
  /** The burst was detected after its newest failure had already gone quiet (a redelivered backlog). */
  readonly delayed: boolean;
  /** ISO times: the window that crossed the threshold (trigger) or the whole burst (resolve). */
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly firstFailureAt: string;
  readonly lastFailureAt: string;
  /** Transport failures in the window. */
  readonly transportCount: number;
  /** Counts by `reason`, transport and response-level alike. */
  readonly countsByReason: Readonly<Record<string, number>>;
  /** Response-level failures of the same hook and app in the same window (stored, never paged). */
  readonly responseCount: number;
  readonly threshold: number;
  readonly windowSeconds: number;
  readonly quietSeconds: number;
  readonly sampleEvents: readonly PageSample[];
  /** When hookwatch opened (trigger), reminded of (reminder) or resolved (resolve) the burst, ISO. */
  readonly at: string;
  /** The team's runbook for this hook (deploy setting), when configured. */
  readonly runbookUrl?: string;
  /** On a live trigger whose hook has reminders on: the interval, so the page can say one follows. */
  readonly remindEveryMinutes?: number;
  /** Present on a reminder: a trigger that repeats an open burst's page with its counts so far. */
  readonly reminder?: PageReminder;
  /** The silence that held this page until it ended, when one did. */
  readonly silence?: PageSilence;
}

/** A silence an operator set for planned work, as a page names it. Times are ISO. */
export interface PageSilence {
  readonly id: string;
  readonly reason: string;
  readonly createdBy: string;
  readonly startsAt: string;
  readonly endsAt: string;
}

/** Which reminder of a burst this is, and how long the burst has been open (since its first failure). */
export interface PageReminder {
  readonly number: number;
  readonly openForSeconds: number;
  /** The hook's `reminderMinutes`. */
  readonly everyMinutes: number;
}

/** What a notice is about, as the `kind` message attribute tells subscription filters. */
export type NoticeKind = "burst" | "reminder" | "response_storm";

export function noticeKind(page: BurstPage): NoticeKind {
  if (page.kind === "response_storm") return "response_storm";
  return page.reminder === undefined ? "burst" : "reminder";
}
