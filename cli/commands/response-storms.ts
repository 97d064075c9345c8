import type { StormRecord } from "../../lambdas/storms/storm-record.js";
import { formatCounts, formatTable } from "../format.js";
import { formatTime } from "../time.js";

/** Response storms as `bursts` and `status` show them: warnings of a hook answering bodies Prelude cannot use. */

const iso = (ms: number) => (Number.isNaN(ms) ? null : new Date(ms).toISOString());

export function toStormJson(storm: StormRecord) {
  return {
    app_id: storm.group.appId,
    hook: storm.group.hook,
    status: storm.status,
    severity: "warning",
    dedup_key: storm.dedupKey,
    window_start: iso(storm.windowStartMs),
    last_failure_at: iso(storm.lastFailureMs),
    response_count: storm.responseCount,
    counts_by_reason: storm.countsByReason,
    threshold: storm.threshold,
    window_seconds: storm.windowSeconds,
    opened_at: storm.openedAt,
    warned_at: storm.warnedAt ?? null,
    resolved_at: storm.resolvedAt ?? null,
  };
}

/** The heading and table of response storms, or nothing when there are none. */
export function formatStormSection(storms: readonly StormRecord[], heading: string): string[] {
  if (storms.length === 0) return [];
  const table = formatTable(
    [
      { heading: "STATUS", value: (storm: StormRecord) => storm.status },
      { heading: "APP", value: (storm) => storm.group.appId },
      { heading: "HOOK", value: (storm) => storm.group.hook },
      {
        heading: "SINCE",
        value: (storm) =>
          `${formatTime(storm.windowStartMs)} (${storm.windowSeconds}s, threshold ${storm.threshold})`,
      },
      { heading: "RESPONSE", value: (storm) => String(storm.responseCount), align: "right" },
      { heading: "BY REASON", value: (storm) => formatCounts(storm.countsByReason) },
      {
        heading: "WARNED",
        value: (storm) => (storm.warnedAt === undefined ? "not yet" : formatTime(Date.parse(storm.warnedAt))),
      },
      {
        heading: "RESOLVED",
        value: (storm) => (storm.resolvedAt === undefined ? "-" : formatTime(Date.parse(storm.resolvedAt))),
      },
      { heading: "DEDUP KEY", value: (storm) => storm.dedupKey },
    ],
    storms,
  );
  return [heading, table];
}
