import type { Group } from "../bursts/burst-record.js";
import type { PageSample } from "../pages/burst-page.js";
import { type Item, readNumber, readString, toItem } from "../runtime/attribute-values.js";
import type { Hook } from "../runtime/hooks.js";

/**
 * A response storm's items in the state table. They live in a partition of their own per app and hook,
 * `STORM#<app>#<hook>`, apart from the group's bursts: storm detection never reads or writes a burst item,
 * and burst detection never sees a storm.
 */

export const stormPartition = (group: Group) => `STORM#${group.appId}#${group.hook}`;
export const STORM_PREFIX = "STORM#";
export const stormSk = (windowStartMs: number) => `${STORM_PREFIX}${new Date(windowStartMs).toISOString()}`;
export const STORM_HEAD_SK = "HEAD";
/** The `open_flag` of an open storm in the sparse `open-bursts` index; open bursts are `OPEN`. */
export const OPEN_STORM_FLAG = "STORM";

export const stormDedupKey = (group: Group, windowStartMs: number) =>
  `hookwatch:${group.appId}:${group.hook}:response-storm:${new Date(windowStartMs).toISOString()}`;

export interface StormRecord {
  readonly group: Group;
  readonly sk: string;
  readonly dedupKey: string;
  readonly status: "open" | "closed";
  readonly windowStartMs: number;
  /** The newest response-level failure known: at opening, then at the resolve. */
  readonly lastFailureMs: number;
  readonly threshold: number;
  /** The storm's window, and its quiet period. */
  readonly windowSeconds: number;
  readonly responseCount: number;
  readonly countsByReason: Readonly<Record<string, number>>;
  readonly samples: readonly PageSample[];
  readonly openedAt: string;
  readonly warnedAt?: string;
  readonly resolvedAt?: string;
}

/** The storm's head: which storm is open, and a version that every open and close moves on. */
export interface StormHead {
  readonly version: number;
  readonly openStormSk?: string;
}

export const iso = (ms: number) => new Date(ms).toISOString();

/** Reads a storm item of the state table; exported for the CLI. */
export function toStormRecord(item: Item): StormRecord {
  const text = (name: string) => readString(item, name) ?? "";
  const warnedAt = readString(item, "warned_at");
  const resolvedAt = readString(item, "resolved_at");
  return {
    group: { appId: text("app_id"), hook: text("hook") as Hook },
    sk: text("sk"),
    dedupKey: text("dedup_key"),
    status: text("status") === "open" ? "open" : "closed",
    windowStartMs: Date.parse(text("window_start")),
    lastFailureMs: Date.parse(text("last_failure_at")),
    threshold: readNumber(item, "threshold") ?? 0,
    windowSeconds: readNumber(item, "window_seconds") ?? 0,
    responseCount: readNumber(item, "response_count") ?? 0,
    countsByReason: JSON.parse(readString(item, "counts_by_reason") ?? "{}") as Record<string, number>,
    samples: JSON.parse(readString(item, "sample_events") ?? "[]") as PageSample[],
    openedAt: text("opened_at"),
    ...(warnedAt === undefined ? {} : { warnedAt }),
    ...(resolvedAt === undefined ? {} : { resolvedAt }),
  };
}

/** The attributes of a storm item, keys apart. */
export function stormAttributes(storm: StormRecord): Item {
  return toItem({
    dedup_key: storm.dedupKey,
    app_id: storm.group.appId,
    hook: storm.group.hook,
    status: storm.status,
    window_start: iso(storm.windowStartMs),
    last_failure_at: iso(storm.lastFailureMs),
    threshold: storm.threshold,
    window_seconds: storm.windowSeconds,
    response_count: storm.responseCount,
    counts_by_reason: JSON.stringify(storm.countsByReason),
    sample_events: JSON.stringify(storm.samples),
    opened_at: storm.openedAt,
  });
}
