import { type BurstPublishing, publishTrigger, resolveBurst } from "../bursts/burst-publishing.js";
import { listOpenBursts } from "../bursts/burst-queries.js";
import { sendDueReminder } from "../bursts/burst-reminders.js";
import { findBurstEnd, latestTransportFailure } from "../bursts/failure-index.js";

export interface RecoveryOutcome {
  readonly open: number;
  readonly paged: number;
  readonly resolved: number;
  /** Reminders sent for bursts still open. */
  readonly reminded: number;
}

/**
 * The recovery schedule's work: a healthy hook sends nothing, so only a clock can tell that a
 * burst is over. Also publishes any page that a crash or an SNS failure left unsent, and the reminders due
 * for bursts still open.
 */
export async function closeQuietBursts(deps: BurstPublishing, nowMs: number): Promise<RecoveryOutcome> {
  const open = await listOpenBursts(deps.tables);
  let paged = 0;
  let resolved = 0;
  let reminded = 0;
  for (const found of open) {
    let burst = found;
    if (burst.pagedAt === undefined && (await publishTrigger(deps, burst, nowMs))) {
      paged++;
      // Resolved with the record as paged, so the resolve does not claim and re-read the page again.
      burst = { ...burst, pagedAt: new Date(nowMs).toISOString() };
    }
    const quietMs = deps.rules[burst.group.hook].quietSeconds * 1000;
    // A burst whose resolve was claimed ends where that claim fixed it: the failures since wait for its close.
    // A delayed burst's failures are all in the past, and its group's newest failure may belong to a later
    // outage: it ends where its own run ends, as when the processor resolves it at once.
    const latest =
      burst.resolveEndMs ??
      (burst.delayed
        ? await findBurstEnd(deps.tables, burst.group, burst.windowStartMs, quietMs, burst.lastFailureMs)
        : Math.max((await latestTransportFailure(deps.tables, burst.group)) ?? 0, burst.lastFailureMs));
    if (burst.resolveEndMs !== undefined || nowMs - latest >= quietMs) {
      if (await resolveBurst(deps, burst, latest, nowMs)) resolved++;
    } else if ((await sendDueReminder(deps, burst, latest, nowMs)) !== undefined) {
      reminded++;
    }
  }
  return { open: open.length, paged, resolved, reminded };
}
