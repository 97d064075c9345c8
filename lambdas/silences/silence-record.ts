import { HOOKS, type Hook } from "../runtime/hooks.js";

/*
 * The silences room owns silences: an operator's "do not page for this app and hook until then", for
 * planned work. A silence is an item of the state table with a start, an end that it can never be without,
 * who created it and why (this file: the record and its rules; silence-store: reading and writing it;
 * silence-lookup: the active silences as one invocation sees them). It decides nothing about bursts: the
 * bursts room asks it whether a group is silenced when a page would go out. It imports only the runtime.
 */

/** What a silence covers: one hook of an app, or both. */
export type SilenceScope = Hook | "all";
export const SILENCE_SCOPES: readonly SilenceScope[] = [...HOOKS, "all"];

export interface Silence {
  readonly id: string;
  readonly appId: string;
  readonly hook: SilenceScope;
  readonly startsAtMs: number;
  /** When it stops holding pages: the planned end, or when it was ended early. */
  readonly endsAtMs: number;
  readonly reason: string;
  readonly createdBy: string;
  readonly createdAtMs: number;
  /** Set when `silence end` cut it short. */
  readonly endedBy?: string;
}

/** The single partition of every silence: few items, read whole by one query. */
export const SILENCE_PARTITION = "SILENCE";
/** Silences are kept this long after they end, for `silence list --all` and the bursts that name them. */
export const SILENCE_RETENTION_DAYS = 30;
/** The longest a silence may hold pages: planned work, not a way to switch paging off. */
export const MAX_SILENCE_MS = 30 * 86_400_000;
export const MAX_REASON_LENGTH = 500;
// An assumed-role ARN from STS can run to about 170 characters.
export const MAX_CREATED_BY_LENGTH = 256;
const APP_ID = /^[\w-]+$/;

/** A silence that cannot be created; the message says which rule it breaks. */
export class SilenceRuleError extends Error {
  override name = "SilenceRuleError";
}

export interface NewSilence {
  readonly appId: string;
  readonly hook: string;
  readonly startsAtMs: number;
  readonly endsAtMs: number | undefined;
  readonly reason: string | undefined;
  readonly createdBy: string;
}

/** Checks a silence before anything is written: every problem at once, each in words an operator acts on. */
export function checkNewSilence(silence: NewSilence, nowMs: number): void {
  const problems: string[] = [];
  if (!APP_ID.test(silence.appId)) problems.push(`app "${silence.appId}" is not a Prelude app id`);
  if (!SILENCE_SCOPES.includes(silence.hook as SilenceScope)) {
    problems.push(`hook "${silence.hook}" is unknown: use ${SILENCE_SCOPES.join(", ")}`);
  }
  const reason = silence.reason?.trim() ?? "";
  if (reason === "")
    problems.push("a silence needs a reason (--reason), so on-call knows why pages are held");
  else if (reason.length > MAX_REASON_LENGTH) {
    problems.push(`the reason is ${reason.length} characters, at most ${MAX_REASON_LENGTH}`);
  }
  if (silence.createdBy.trim() === "" || silence.createdBy.length > MAX_CREATED_BY_LENGTH) {
    problems.push(`who creates it (--by) must be 1 to ${MAX_CREATED_BY_LENGTH} characters`);
  }
  problems.push(...endProblems(silence.startsAtMs, silence.endsAtMs, nowMs));
  if (problems.length > 0) throw new SilenceRuleError(problems.join("; "));
}

function endProblems(startsAtMs: number, endsAtMs: number | undefined, nowMs: number): string[] {
  if (Number.isNaN(startsAtMs)) return ["the start is not a time"];
  if (endsAtMs === undefined) return ["a silence needs an end: --for 2h or --until <ISO time>"];
  if (Number.isNaN(endsAtMs)) return ["the end is not a time"];
  const start = new Date(startsAtMs).toISOString();
  const end = new Date(endsAtMs).toISOString();
  if (endsAtMs <= startsAtMs) return [`the end (${end}) is not after the start (${start})`];
  if (endsAtMs <= nowMs) return [`the end (${end}) has already passed`];
  if (endsAtMs - startsAtMs > MAX_SILENCE_MS) return [`a silence lasts at most 30 days (${start} to ${end})`];
  return [];
}

/** Whether the silence holds pages of this app and hook at `atMs`: from its start, until (not at) its end. */
export function silenceCovers(silence: Silence, appId: string, hook: Hook, atMs: number): boolean {
  return (
    silence.appId === appId &&
    (silence.hook === "all" || silence.hook === hook) &&
    silence.startsAtMs <= atMs &&
    atMs < silence.endsAtMs
  );
}

export type SilenceState = "pending" | "active" | "ended";

export function silenceState(silence: Silence, nowMs: number): SilenceState {
  if (nowMs < silence.startsAtMs) return "pending";
  return nowMs < silence.endsAtMs ? "active" : "ended";
}
