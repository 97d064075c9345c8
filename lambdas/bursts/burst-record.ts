import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { PageSample } from "../pages/burst-page.js";
import { type Item, readNumber, readString, toItem } from "../runtime/attribute-values.js";
import type { Hook } from "../runtime/hooks.js";

/** A burst's item in the state table: its keys and attributes, and how they read back. */

/** Where burst state lives: the state table, one partition per app and hook. */
export interface BurstTables {
  readonly client: DynamoDBClient;
  readonly eventsTableName: string;
  readonly stateTableName: string;
  readonly retentionDays: number;
}

export interface Group {
  readonly appId: string;
  readonly hook: Hook;
}

export const groupPartition = (group: Group) => `GROUP#${group.appId}#${group.hook}`;
export const BURST_PREFIX = "BURST#";
/** A burst's sort key: its window start, so a group's bursts sort by time. */
export const burstSk = (windowStartMs: number) => `${BURST_PREFIX}${new Date(windowStartMs).toISOString()}`;
export const HEAD_SK = "HEAD";
export const OPEN_FLAG = "OPEN";

export interface BurstRecord {
  readonly group: Group;
  readonly sk: string;
  readonly dedupKey: string;
  readonly status: "open" | "closed";
  readonly delayed: boolean;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly firstFailureMs: number;
  readonly lastFailureMs: number;
  readonly threshold: number;
  readonly windowSeconds: number;
  readonly quietSeconds: number;
  readonly transportCount: number;
  readonly countsByReason: Readonly<Record<string, number>>;
  readonly responseCount: number;
  readonly samples: readonly PageSample[];
  readonly openedAt: string;
  readonly pagedAt?: string;
  readonly resolvedAt?: string;
  /**
   * Where it ends, fixed by the first claim of its resolve (`resolve_end`): from then on it takes no failure
   * later than this plus the quiet period, even while still open, and every resolve of it says this end.
   */
  readonly resolveEndMs?: number;
  /** How many reminders were claimed (sent, or being sent); absent before the first. */
  readonly remindersSent?: number;
  readonly lastReminderAt?: string;
  /** The silence that held its page, when one did (kept after the page goes out, to name it). */
  readonly silence?: BurstSilence;
}

/** What a burst keeps of the silence that held its page. */
export interface BurstSilence {
  readonly id: string;
  readonly reason: string;
  readonly createdBy: string;
  readonly startsAt: string;
  readonly endsAt: string;
}

/** The group's head: which burst is open, and a version that every open and close moves on. */
export interface GroupHead {
  readonly version: number;
  readonly openBurstSk?: string;
}

/** What a burst amounted to when it closes. */
export interface BurstSummary {
  readonly lastFailureMs: number;
  readonly transportCount: number;
  readonly countsByReason: Readonly<Record<string, number>>;
  readonly responseCount: number;
}

export const iso = (ms: number) => new Date(ms).toISOString();

/** Reads a burst item of the state table; exported for the CLI. */
export function toBurstRecord(item: Item): BurstRecord {
  const text = (name: string) => readString(item, name) ?? "";
  const number = (name: string) => readNumber(item, name) ?? 0;
  const [appId, hook] = text("pk")
    .replace(/^GROUP#/, "")
    .split(/#(?=[^#]+$)/) as [string, Hook];
  const pagedAt = readString(item, "paged_at");
  const resolvedAt = readString(item, "resolved_at");
  const resolveEnd = readString(item, "resolve_end");
  const remindersSent = readNumber(item, "reminders_sent");
  const lastReminderAt = readString(item, "last_reminder_at");
  const silence = readString(item, "silence");
  return {
    group: { appId, hook },
    sk: text("sk"),
    dedupKey: text("dedup_key"),
    status: text("status") === "open" ? "open" : "closed",
    delayed: text("delayed") === "true",
    windowStartMs: Date.parse(text("window_start")),
    windowEndMs: Date.parse(text("window_end")),
    firstFailureMs: Date.parse(text("first_failure_at")),
    lastFailureMs: Date.parse(text("last_failure_at")),
    threshold: number("threshold"),
    windowSeconds: number("window_seconds"),
    quietSeconds: number("quiet_seconds"),
    transportCount: number("transport_count"),
    countsByReason: JSON.parse(readString(item, "counts_by_reason") ?? "{}") as Record<string, number>,
    responseCount: number("response_count"),
    samples: JSON.parse(readString(item, "sample_events") ?? "[]") as PageSample[],
    openedAt: text("opened_at"),
    ...(pagedAt === undefined ? {} : { pagedAt }),
    ...(resolvedAt === undefined ? {} : { resolvedAt }),
    ...(resolveEnd === undefined ? {} : { resolveEndMs: Date.parse(resolveEnd) }),
    ...(remindersSent === undefined ? {} : { remindersSent }),
    ...(lastReminderAt === undefined ? {} : { lastReminderAt }),
    ...(silence === undefined ? {} : { silence: JSON.parse(silence) as BurstSilence }),
  };
}

/** The attributes of a burst item, keys apart. */
export function burstAttributes(burst: BurstRecord): Item {
  return toItem({
    dedup_key: burst.dedupKey,
    app_id: burst.group.appId,
    hook: burst.group.hook,
    status: burst.status,
    delayed: burst.delayed ? "true" : "false",
    window_start: iso(burst.windowStartMs),
    window_end: iso(burst.windowEndMs),
    first_failure_at: iso(burst.firstFailureMs),
    last_failure_at: iso(burst.lastFailureMs),
    threshold: burst.threshold,
    window_seconds: burst.windowSeconds,
    quiet_seconds: burst.quietSeconds,
    transport_count: burst.transportCount,
    counts_by_reason: JSON.stringify(burst.countsByReason),
    response_count: burst.responseCount,
    sample_events: JSON.stringify(burst.samples),
    opened_at: burst.openedAt,
  });
}
