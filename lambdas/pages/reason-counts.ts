import type { BurstPage } from "./burst-page.js";
import { MAX_REASON_LENGTH, MAX_REASONS, OTHER_REASONS_KEY, PAGED_REASONS } from "./page-limits.js";
import { cleanText } from "./plain-text.js";

/** Counts by reason as pages show them: transport reasons first, the long tail folded. */

export interface ReasonCount {
  readonly reason: string;
  readonly count: number;
}

/**
 * Transport reasons first (in a fixed order), then the rest by count; the tail folded into one entry. An
 * `(other reasons)` entry already present (counts read back from a page's document) joins the tail, so
 * sorting capped counts again gives the same rows.
 */
export function sortReasonCounts(counts: Readonly<Record<string, number>>): {
  readonly paged: readonly ReasonCount[];
  readonly stored: readonly ReasonCount[];
  readonly omitted: ReasonCount | undefined;
} {
  const entries = Object.entries(counts).map(([reason, count]) => ({ reason, count }));
  const paged = PAGED_REASONS.flatMap((reason) => entries.filter((entry) => entry.reason === reason));
  const folded = entries.filter((entry) => entry.reason === OTHER_REASONS_KEY);
  const rest = entries
    .filter((entry) => !PAGED_REASONS.includes(entry.reason) && entry.reason !== OTHER_REASONS_KEY)
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  const room = Math.max(0, MAX_REASONS - paged.length);
  const stored = rest
    .slice(0, room)
    .map((entry) => ({ ...entry, reason: cleanText(entry.reason, MAX_REASON_LENGTH) }));
  const tail = [...rest.slice(room), ...folded];
  const omitted =
    tail.length > 0
      ? { reason: OTHER_REASONS_KEY, count: tail.reduce((sum, entry) => sum + entry.count, 0) }
      : undefined;
  return { paged, stored, omitted };
}

export function capReasonCounts(counts: Readonly<Record<string, number>>): Record<string, number> {
  const { paged, stored, omitted } = sortReasonCounts(counts);
  const capped: Record<string, number> = {};
  for (const { reason, count } of [...paged, ...stored, ...(omitted ? [omitted] : [])]) {
    capped[reason] = (capped[reason] ?? 0) + count;
  }
  return capped;
}

/** What the counts table needs: a `BurstPage`, or the same values read from a page's JSON document. */
export type ReasonTotals = Pick<BurstPage, "countsByReason" | "transportCount" | "responseCount">;

/** The counts as aligned rows (two indents, labels padded), for monospace text. */
export function formatReasonCounts(page: ReasonTotals): string[] {
  const { paged, stored, omitted } = sortReasonCounts(page.countsByReason);
  const storedRows = omitted ? [...stored, omitted] : stored;
  const groups = [
    { title: "Transport (paged)", total: page.transportCount, rows: paged },
    { title: "Response-level (stored, not paged)", total: page.responseCount, rows: storedRows },
  ];
  const labels = groups.flatMap((group) => [group.title, ...group.rows.map((row) => `  ${row.reason}`)]);
  const numbers = groups.flatMap((group) => [group.total, ...group.rows.map((row) => row.count)]);
  const labelWidth = Math.max(...labels.map((label) => label.length)) + 2;
  const numberWidth = Math.max(...numbers.map((count) => String(count).length));
  const row = (label: string, count: number) =>
    `  ${label.padEnd(labelWidth)}${String(count).padStart(numberWidth)}`;
  return groups.flatMap((group) => [
    row(group.title, group.total),
    ...group.rows.map((entry) => row(`  ${entry.reason}`, entry.count)),
  ]);
}
