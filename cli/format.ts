/** One column of a table: its heading, and whether it may be left out when every row is empty there. */
export interface Column<Row> {
  readonly heading: string;
  readonly value: (row: Row) => string;
  /** Left out when no row has a value in it (for example USER when no step-up event is listed). */
  readonly optional?: boolean;
  readonly align?: "left" | "right";
}

/** Aligned columns, two spaces apart; the last column is not padded, so long reasons do not widen the rest. */
export function formatTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const cells = rows.map((row) => columns.map((column) => singleLine(column.value(row))));
  const shown = columns
    .map((column, index) => ({ column, index }))
    .filter(({ column, index }) => !column.optional || cells.some((row) => row[index] !== ""));
  const widths = shown.map(({ column, index }) =>
    Math.max(column.heading.length, ...cells.map((row) => (row[index] ?? "").length)),
  );
  const line = (values: readonly string[]) =>
    values
      .map((value, position) => {
        const last = position === values.length - 1;
        const width = widths[position] ?? 0;
        if (shown[position]?.column.align === "right") return value.padStart(width);
        return last ? value : value.padEnd(width);
      })
      .join("  ")
      .trimEnd();
  return [
    line(shown.map(({ column }) => column.heading)),
    ...cells.map((row) => line(shown.map(({ index }) => row[index] ?? ""))),
  ].join("\n");
}

/** Label/value lines with the values aligned, for one record. */
export function formatFields(fields: readonly (readonly [string, string | undefined])[]): string {
  const present = fields.filter(([, value]) => value !== undefined && value !== "");
  const width = Math.max(0, ...present.map(([label]) => label.length));
  return present.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join("\n");
}

/** Control characters and newlines of stored input would break a table: shown escaped, on one line. */
export function singleLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping control characters is the point.
  return text.replace(/[\u0000-\u001f\u007f]/g, (char) =>
    char === "\n" ? "\\n" : char === "\t" ? " " : "?",
  );
}

/** The start of a text, on one line, with an ellipsis when cut. */
export function excerpt(text: string, maxLength: number): string {
  const flat = singleLine(text);
  return flat.length <= maxLength ? flat : `${flat.slice(0, maxLength - 1)}…`;
}

/** `request_failed 5, invalid_status_code 2`, largest first. */
export function formatCounts(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([name, count]) => `${name} ${count}`)
    .join(", ");
}

/** Pretty-printed JSON when the text is JSON, else the text as it is. */
export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
