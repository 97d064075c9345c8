import { LABEL_WIDTH, MAX_APP_ID_LENGTH, MAX_VALUE_LENGTH } from "./page-limits.js";

/** Text helpers for pages: safe for a person to read, ASCII where a channel needs it, durations, shell words. */

export function field(label: string, value: string): string {
  return `${label.padEnd(LABEL_WIDTH)}${value}`;
}

export function clean(value: string): string {
  return cleanText(value, MAX_VALUE_LENGTH);
}

// Control characters and bidi overrides in webhook data could forge lines or reorder what a person reads.
export const UNSAFE_CHARACTERS = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/** Safe for a person to read: no control characters, at most `max` code points (ellipsis if cut). */
export function cleanText(value: string, max: number): string {
  const points = Array.from(value.replace(UNSAFE_CHARACTERS, "?").trim());
  return points.length <= max ? points.join("") : `${points.slice(0, max - 1).join("")}…`;
}

/** Printable ASCII: accents dropped (é → e), anything else shown as `?`. */
export function toAscii(value: string): string {
  return value
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .replace(/[^\x20-\x7e]/gu, "?")
    .trim();
}

/**
 * The first variant that fits `max` with the whole app id; else the last variant with the app id shortened
 * (an app id is the only unbounded part), and as a last resort the line cut.
 */
export function fitAscii(variants: readonly ((app: string) => string)[], appId: string, max: number): string {
  const app = toAscii(appId) || "?";
  for (const variant of variants) {
    const line = variant(app);
    if (line.length <= max) return line;
  }
  const last = variants[variants.length - 1] ?? ((value: string) => value);
  const overflow = last(app).length - max;
  const keep = app.length - overflow - 3;
  const shortened = keep >= 4 ? last(`${app.slice(0, keep)}...`) : last(app);
  return shortened.length <= max ? shortened : `${shortened.slice(0, max - 3)}...`;
}

export function withoutMillis(iso: string): string {
  return iso.replace(/\.\d+Z$/, "Z");
}

export function durationMs(from: string, to: string): number {
  return Date.parse(to) - Date.parse(from);
}

/** `45s`, `90s`, `12m 5s`, `2h 3m`, `3d 4h`; `unknown` for unreadable times. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "unknown";
  const seconds = Math.round(ms / 1000);
  // Windows are configured in seconds: "60s" reads as configured, "1m" would not.
  if (seconds < 120) return `${seconds}s`;
  const units: readonly [string, number][] = [
    ["d", 86_400],
    ["h", 3_600],
    ["m", 60],
    ["s", 1],
  ];
  const index = units.findIndex(([, size]) => seconds >= size);
  const [bigName, bigSize] = units[index] ?? ["s", 1];
  const big = Math.floor(seconds / bigSize);
  const next = units[index + 1];
  if (!next) return `${big}${bigName}`;
  const small = Math.floor((seconds % bigSize) / next[1]);
  return small === 0 ? `${big}${bigName}` : `${big}${bigName} ${small}${next[0]}`;
}

/** Quotes a value for a POSIX shell unless it is plainly safe, so a copied command does what it says. */
export function shellWord(value: string): string {
  const cleaned = cleanText(value, MAX_APP_ID_LENGTH);
  if (/^[\w.:+-]+$/.test(cleaned)) return cleaned;
  return `'${cleaned.replaceAll("'", `'\\''`)}'`;
}

export function definedOnly<T extends Record<string, string | undefined>>(
  values: T,
): Partial<Record<keyof T, string>> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<
    Record<keyof T, string>
  >;
}
