import type { BurstPage } from "../pages/burst-page.js";
import type { Pager } from "../pages/pager.js";
import type { BurstRule } from "../runtime/config.js";
import type { Hook } from "../runtime/hooks.js";
import { claimPublish, claimResolve, closeBurst, markPaged, releaseClaim } from "./burst-lifecycle.js";
import { readBurst } from "./burst-queries.js";
import type { BurstRecord, BurstSilence, BurstSummary, BurstTables } from "./burst-record.js";
import { closeSilencedBurst, type SilenceDeps, silenceHolding, silenceToName } from "./burst-silencing.js";
import { latestTransportFailure, summarizeBurst } from "./failure-index.js";

export interface BurstPublishing extends SilenceDeps {
  readonly tables: BurstTables;
  readonly pager: Pager;
  readonly rules: Readonly<Record<Hook, BurstRule>>;
  /** How long a claim to publish holds before another attempt may take over; below the SQS visibility timeout. */
  readonly claimLeaseMs?: number;
}

export const DEFAULT_CLAIM_LEASE_MS = 30_000;

const iso = (ms: number) => new Date(ms).toISOString();

/** What a page says beside the burst's stored state: the hook's runbook, the silence that held it. */
export interface PageContext {
  readonly runbookUrl?: string | undefined;
  readonly silence?: BurstSilence | undefined;
}

/** A burst's trigger page, from its stored state and its context: a repeat says the same thing. */
export function triggerPage(burst: BurstRecord, context: PageContext = {}): BurstPage {
  const { runbookUrl, silence } = context;
  return {
    action: "trigger",
    dedupKey: burst.dedupKey,
    appId: burst.group.appId,
    hook: burst.group.hook,
    delayed: burst.delayed,
    windowStart: iso(burst.windowStartMs),
    windowEnd: iso(burst.windowEndMs),
    firstFailureAt: iso(burst.firstFailureMs),
    lastFailureAt: iso(burst.lastFailureMs),
    transportCount: burst.transportCount,
    countsByReason: burst.countsByReason,
    responseCount: burst.responseCount,
    threshold: burst.threshold,
    windowSeconds: burst.windowSeconds,
    quietSeconds: burst.quietSeconds,
    sampleEvents: burst.samples,
    at: burst.openedAt,
    ...(runbookUrl === undefined ? {} : { runbookUrl }),
    ...(silence === undefined ? {} : { silence }),
  };
}

export function resolvePage(
  burst: BurstRecord,
  summary: BurstSummary,
  nowMs: number,
  runbookUrl?: string,
): BurstPage {
  return {
    ...triggerPage(burst, { runbookUrl }),
    action: "resolve",
    windowEnd: iso(summary.lastFailureMs),
    lastFailureAt: iso(summary.lastFailureMs),
    transportCount: summary.transportCount,
    countsByReason: summary.countsByReason,
    responseCount: summary.responseCount,
    at: iso(nowMs),
  };
}

/**
 * Publishes a burst's page unless it went out already, a silence holds it, or another invocation holds the
 * claim. Returns true once the page is known to be out.
 */
export async function publishTrigger(
  deps: BurstPublishing,
  burst: BurstRecord,
  nowMs: number,
): Promise<boolean> {
  if (burst.pagedAt !== undefined) return true;
  if (await silenceHolding(deps, burst, nowMs)) return false;
  if (!(await claimPublish(deps.tables, burst, "page", nowMs, deps.claimLeaseMs ?? DEFAULT_CLAIM_LEASE_MS))) {
    return (await readBurst(deps.tables, burst.group, burst.sk))?.pagedAt !== undefined;
  }
  try {
    const runbookUrl = deps.rules[burst.group.hook].runbookUrl;
    const silence = await silenceToName(deps, burst, nowMs);
    const remindEveryMinutes = burst.delayed ? undefined : deps.rules[burst.group.hook].reminderMinutes;
    await deps.pager.publish({
      ...triggerPage(burst, { runbookUrl, silence }),
      ...(remindEveryMinutes === undefined ? {} : { remindEveryMinutes }),
    });
  } catch (error) {
    await releaseClaim(deps.tables, burst, "page").catch(() => undefined);
    throw error;
  }
  // A crash here repeats the page on retry, under the same dedup key.
  await markPaged(deps.tables, burst, nowMs);
  return true;
}

/**
 * Resolves a burst whose failures ended at `endMs`: its page first if that never went out, then
 * the resolve under the same dedup key, then the burst is closed. One that a silence holds is closed
 * with nothing sent. Returns the closed summary, or undefined when another invocation is already on it
 * or the group failed again since `endMs` was read.
 */
export async function resolveBurst(
  deps: BurstPublishing,
  burst: BurstRecord,
  endMs: number,
  nowMs: number,
): Promise<BurstSummary | undefined> {
  if (burst.pagedAt === undefined && (await silenceHolding(deps, burst, nowMs))) {
    return closeQuietly(deps, burst, endMs, nowMs);
  }
  if (!(await publishTrigger(deps, burst, nowMs))) return undefined;
  const end = await claimEnd(deps, burst, endMs, nowMs);
  if (end === undefined) return undefined;
  let summary: BurstSummary;
  try {
    summary = await summarizeBurst(deps.tables, burst.group, burst.windowStartMs, end);
    await deps.pager.publish(resolvePage(burst, summary, nowMs, deps.rules[burst.group.hook].runbookUrl));
  } catch (error) {
    await releaseClaim(deps.tables, burst, "resolve").catch(() => undefined);
    throw error;
  }
  await closeBurst(deps.tables, burst, summary, nowMs);
  return summary;
}

/**
 * Claims a burst's resolve and fixes its end (`claimResolve`): from here on a failure after the end plus the
 * quiet period waits for the close and opens a burst of its own instead of joining this one. A live burst's
 * group may have failed again in a failure stored after `endMs` was read and taken in by the burst before
 * the end was fixed: then it was not quiet, and the claim and the end are given back, unless an earlier
 * claim fixed the end (its resolve may be out already). Returns the end to resolve at.
 */
async function claimEnd(
  deps: BurstPublishing,
  burst: BurstRecord,
  endMs: number,
  nowMs: number,
): Promise<number | undefined> {
  const leaseMs = deps.claimLeaseMs ?? DEFAULT_CLAIM_LEASE_MS;
  const claim = await claimResolve(deps.tables, burst, Math.max(endMs, burst.lastFailureMs), nowMs, leaseMs);
  if (claim === undefined || claim.endFixedBefore || burst.delayed) return claim?.endMs;
  let latest: number | undefined;
  try {
    latest = await latestTransportFailure(deps.tables, burst.group);
  } catch (error) {
    await releaseClaim(deps.tables, burst, "resolve", true).catch(() => undefined);
    throw error;
  }
  if (latest === undefined || latest <= claim.endMs) return claim.endMs;
  await releaseClaim(deps.tables, burst, "resolve", true);
  return undefined;
}

/** A silenced burst that went quiet: closed under the resolve claim, with nothing published. */
async function closeQuietly(
  deps: BurstPublishing,
  burst: BurstRecord,
  endMs: number,
  nowMs: number,
): Promise<BurstSummary | undefined> {
  const end = await claimEnd(deps, burst, endMs, nowMs);
  if (end === undefined) return undefined;
  const summary = await summarizeBurst(deps.tables, burst.group, burst.windowStartMs, end);
  if (await closeSilencedBurst(deps.tables, burst, summary, nowMs)) return summary;
  await releaseClaim(deps.tables, burst, "resolve").catch(() => undefined);
  return undefined;
}
