import { existsSync } from "node:fs";
import { appendFile, mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { PublishRecord } from "./sns-stand-in.js";

export interface LocalPagerOptions {
  /** The JSON-lines file every page is appended to. */
  readonly file: string;
  /** Where the readable form goes (the terminal). */
  readonly print: (text: string) => void;
  /** ANSI colours for the action (when the terminal is a TTY). */
  readonly color: boolean;
}

const ANSI = { red: "\u001b[1;31m", green: "\u001b[1;32m", yellow: "\u001b[1;33m", reset: "\u001b[0m" };

/**
 * What the local SNS topic delivers to: each publish appended as one JSON line (the whole Publish input)
 * to the pager file, and printed for a person to read at a glance: action, subject, then the text that
 * email subscribers get.
 */
export function createLocalPager(options: LocalPagerOptions): (record: PublishRecord) => Promise<void> {
  return async (record) => {
    await mkdir(dirname(options.file), { recursive: true });
    await appendFile(options.file, `${JSON.stringify(record)}\n`, "utf8");
    options.print(formatForTerminal(record, options.color));
  };
}

/**
 * The pages in the pager file so far. Only whole lines: a page is tens of kilobytes, and a reader may come
 * while one is being appended.
 */
export async function readPagerFile(file: string): Promise<PublishRecord[]> {
  if (!existsSync(file)) return [];
  const text = await readFile(file, "utf8");
  return text
    .slice(0, text.lastIndexOf("\n") + 1)
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as PublishRecord);
}

/** A page as the terminal shows it: a banner with the action, the subject, the text for people. */
export function formatForTerminal(record: PublishRecord, color: boolean): string {
  const action = record.MessageAttributes.event_action?.StringValue ?? "page";
  const severity = record.MessageAttributes.severity?.StringValue;
  const text = typeof record.Message === "string" ? record.Message : (record.Message.default ?? "");
  const paint = action === "resolve" ? ANSI.green : severity === "warning" ? ANSI.yellow : ANSI.red;
  const label = `PAGE ${action.toUpperCase()}${severity === undefined ? "" : ` (${severity})`}`;
  const rule = "─".repeat(72);
  const banner = color ? `${paint}${label}${ANSI.reset}` : label;
  return [
    "",
    rule,
    `${banner}  ${record.ReceivedAt}  SNS message ${record.MessageId}`,
    `Subject: ${record.Subject ?? "(none)"}`,
    "",
    text.trimEnd(),
    rule,
    "",
  ].join("\n");
}
