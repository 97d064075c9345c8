import { DEFAULT_CLAIM_LEASE_MS } from "../bursts/burst-publishing.js";
import type { BurstTables } from "../bursts/burst-record.js";
import { countResponseFailures } from "../bursts/failure-index.js";
import type { BurstPage } from "../pages/burst-page.js";
import type { Pager } from "../pages/pager.js";
import { iso, type StormRecord } from "./storm-record.js";
import {
  claimStormNotice,
  closeStorm,
  markWarned,
  releaseStormClaim,
  type StormSummary,
} from "./storm-state.js";

/** Publishing a storm's warning and its resolve, each under a claim, as bursts publish pages. */

export interface StormPublishing {
  readonly tables: BurstTables;
  readonly pager: Pager;
  readonly claimLeaseMs?: number;
}

/** A storm's warning, or its resolve with `summary`: the page of kind `response_storm`. */
export function stormPage(
  storm: StormRecord,
  resolved?: { summary: StormSummary; nowMs: number },
): BurstPage {
  const summary = resolved?.summary ?? storm;
  return {
    kind: "response_storm",
    action: resolved === undefined ? "trigger" : "resolve",
    dedupKey: storm.dedupKey,
    appId: storm.group.appId,
    hook: storm.group.hook,
    delayed: false,
    windowStart: iso(storm.windowStartMs),
    windowEnd: iso(summary.lastFailureMs),
    firstFailureAt: iso(storm.windowStartMs),
    lastFailureAt: iso(summary.lastFailureMs),
    transportCount: 0,
    countsByReason: summary.countsByReason,
    responseCount: summary.responseCount,
    threshold: storm.threshold,
    windowSeconds: storm.windowSeconds,
    quietSeconds: storm.windowSeconds,
    sampleEvents: storm.samples,
    at: resolved === undefined ? storm.openedAt : iso(resolved.nowMs),
  };
}

/** Publishes a storm's warning unless it went out already or another invocation holds the claim. */
export async function publishStormWarning(
  deps: StormPublishing,
  storm: StormRecord,
  nowMs: number,
): Promise<boolean> {
  if (storm.warnedAt !== undefined) return false;
  const leaseMs = deps.claimLeaseMs ?? DEFAULT_CLAIM_LEASE_MS;
  if (!(await claimStormNotice(deps.tables, storm, "warn", nowMs, leaseMs))) return false;
  try {
    await deps.pager.publish(stormPage(storm));
  } catch (error) {
    await releaseStormClaim(deps.tables, storm, "warn").catch(() => undefined);
    throw error;
  }
  // A crash here repeats the warning on retry, under the same dedup key.
  await markWarned(deps.tables, storm, nowMs);
  return true;
}

/**
 * Resolves a storm whose response-level failures ended at `endMs`: its warning first if that never went
 * out, then the resolve under the same dedup key, then the storm is closed.
 */
export async function resolveStorm(
  deps: StormPublishing,
  storm: StormRecord,
  endMs: number,
  nowMs: number,
): Promise<boolean> {
  // A resolve never goes out before its warning: another invocation warning it now means "next run".
  if (storm.warnedAt === undefined && !(await publishStormWarning(deps, storm, nowMs))) return false;
  const leaseMs = deps.claimLeaseMs ?? DEFAULT_CLAIM_LEASE_MS;
  if (!(await claimStormNotice(deps.tables, storm, "resolve", nowMs, leaseMs))) return false;
  let summary: StormSummary;
  try {
    const lastFailureMs = Math.max(endMs, storm.lastFailureMs);
    const counts = await countResponseFailures(deps.tables, storm.group, storm.windowStartMs, lastFailureMs);
    summary = {
      lastFailureMs,
      countsByReason: counts,
      responseCount: Object.values(counts).reduce((sum, count) => sum + count, 0),
    };
    await deps.pager.publish(stormPage(storm, { summary, nowMs }));
  } catch (error) {
    await releaseStormClaim(deps.tables, storm, "resolve").catch(() => undefined);
    throw error;
  }
  await closeStorm(deps.tables, storm, summary, nowMs);
  return true;
}
