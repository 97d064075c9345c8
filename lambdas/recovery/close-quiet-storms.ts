import { latestFailure } from "../bursts/failure-index.js";
import { publishStormWarning, resolveStorm, type StormPublishing } from "../storms/storm-publishing.js";
import { listOpenStorms } from "../storms/storm-state.js";

export interface StormRecoveryOutcome {
  readonly open: number;
  readonly warned: number;
  readonly resolved: number;
}

/**
 * The recovery schedule's work for response storms: resolves each open storm once no response-level
 * failure of its hook has arrived for its window, and publishes any warning a crash or an SNS failure left
 * unsent. A storm's own window is its quiet period, stored on it, so turning the setting off still closes it.
 */
export async function closeQuietStorms(deps: StormPublishing, nowMs: number): Promise<StormRecoveryOutcome> {
  const open = await listOpenStorms(deps.tables);
  let warned = 0;
  let resolved = 0;
  for (const found of open) {
    let storm = found;
    if (storm.warnedAt === undefined && (await publishStormWarning(deps, storm, nowMs))) {
      warned++;
      storm = { ...storm, warnedAt: new Date(nowMs).toISOString() };
    }
    const latest = Math.max(
      (await latestFailure(deps.tables, storm.group, "response")) ?? 0,
      storm.lastFailureMs,
    );
    if (nowMs - latest < storm.windowSeconds * 1000) continue;
    if (await resolveStorm(deps, storm, latest, nowMs)) resolved++;
  }
  return { open: open.length, warned, resolved };
}
