import { type BurstPublishing, publishTrigger, resolveBurst } from "../shared/burst-publishing.js";
import { latestTransportFailure, listOpenBursts } from "../shared/burst-state.js";

export interface RecoveryOutcome {
  readonly open: number;
  readonly paged: number;
  readonly resolved: number;
}

/**
 * The recovery schedule's work: a healthy hook sends nothing, so only a clock can tell that a
 * burst is over. Also publishes any page that a crash or an SNS failure left unsent.
 */
export async function closeQuietBursts(deps: BurstPublishing, nowMs: number): Promise<RecoveryOutcome> {
  const open = await listOpenBursts(deps.tables);
  let paged = 0;
  let resolved = 0;
  for (const burst of open) {
    if (burst.pagedAt === undefined && (await publishTrigger(deps, burst, nowMs))) paged++;
    const latest = Math.max(
      (await latestTransportFailure(deps.tables, burst.group)) ?? 0,
      burst.lastFailureMs,
    );
    if (nowMs - latest < deps.rules[burst.group.hook].quietSeconds * 1000) continue;
    if (await resolveBurst(deps, burst, latest, nowMs)) resolved++;
  }
  return { open: open.length, paged, resolved };
}
