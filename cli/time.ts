import { UsageError } from "./errors.js";

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const DURATION = /^(\d+)([smhdw])$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * `--since`: a duration back from now (`90s`, `30m`, `1h`, `2d`, `1w`) or an ISO 8601 time
 * (`2026-11-20`, `2026-11-20T10:00:00Z`). A time without a zone is UTC, as every time hookwatch stores.
 */
export function parseSince(text: string, nowMs: number): number {
  const duration = DURATION.exec(text);
  if (duration) {
    const [, amount, unit] = duration as unknown as [string, string, keyof typeof UNIT_MS];
    return nowMs - Number(amount) * UNIT_MS[unit];
  }
  if (ISO_TIME.test(text)) {
    const hasZone = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(text) && text.length > 10;
    const ms = Date.parse(hasZone || text.length === 10 ? text : `${text}Z`);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new UsageError(
    `--since "${text}" is neither a duration (90s, 30m, 1h, 2d, 1w) nor an ISO 8601 time (2026-11-20T10:00:00Z)`,
  );
}

/** A length of time for `--for`: `90s`, `30m`, `2h`, `1d`, `1w`; undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const duration = DURATION.exec(text);
  if (!duration) return undefined;
  const [, amount, unit] = duration as unknown as [string, string, keyof typeof UNIT_MS];
  return Number(amount) * UNIT_MS[unit];
}

/** An ISO 8601 time for `--until` and `--start`, UTC unless it names a zone; undefined when it is not one. */
export function parseIsoTime(text: string): number | undefined {
  if (!ISO_TIME.test(text)) return undefined;
  const hasZone = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(text) && text.length > 10;
  const ms = Date.parse(hasZone || text.length === 10 ? text : `${text}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

/** A compact length of time: `45s`, `12m`, `3h 5m`, `2d 4h`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? `${hours}h` : `${hours}h ${minutes % 60}m`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days}d` : `${days}d ${hours % 24}h`;
}

/** How long ago `ms` was, seen from `nowMs`: `5m ago`, or `in 2m` for a time ahead of the clock. */
export function formatAgo(ms: number, nowMs: number): string {
  if (Number.isNaN(ms)) return "";
  return ms > nowMs + 1000 ? `in ${formatDuration(ms - nowMs)}` : `${formatDuration(nowMs - ms)} ago`;
}

/** A UTC time to the second, `2026-11-20 10:00:04Z`: readable, and still sorts. */
export function formatTime(ms: number | undefined): string {
  if (ms === undefined || Number.isNaN(ms)) return "";
  return new Date(ms)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d{3}Z$/, "Z");
}

/** UTC days from the day of `fromMs` to the day of `toMs`, oldest first: the partitions of day-bucketed records. */
export function utcDaysBetween(fromMs: number, toMs: number): string[] {
  const days: string[] = [];
  const start = Date.UTC(
    new Date(fromMs).getUTCFullYear(),
    new Date(fromMs).getUTCMonth(),
    new Date(fromMs).getUTCDate(),
  );
  for (let day = start; day <= toMs; day += UNIT_MS.d) days.push(new Date(day).toISOString().slice(0, 10));
  return days;
}
