import type { Hook } from "../runtime/hooks.js";
import type { PageSample } from "./burst-page.js";
import { LABEL_WIDTH, MAX_REASON_LENGTH, MAX_VALUE_LENGTH, STEP_UP_FIELDS } from "./page-limits.js";
import { cleanText, definedOnly } from "./plain-text.js";

/** Sample events as pages show them, cleaned and capped. */

/** A sample event as machines get it: the `PageSample` fields, cleaned and length-capped. */
export type PageDocumentSample = PageSample;

export function formatSample(hook: Hook, sample: PageSample, position: number): string[] {
  const cleaned = cleanSample(hook, sample);
  const indent = "     ";
  const rows = [
    `  ${position}. ${cleaned.occurred_at}  ${cleaned.reason}`,
    `${indent}${"dispatch_id".padEnd(LABEL_WIDTH)}${cleaned.dispatch_id ?? "-"}`,
    `${indent}${"correlation_id".padEnd(LABEL_WIDTH)}${cleaned.correlation_id ?? "-"}`,
  ];
  if (hook === "step-up") {
    for (const name of STEP_UP_FIELDS)
      rows.push(`${indent}${name.padEnd(LABEL_WIDTH)}${cleaned[name] ?? "-"}`);
  }
  return rows;
}

/** The user, session and scope of a step-up call mean nothing for the migration hook: left out there. */
export function cleanSample(hook: Hook, sample: PageSample): PageDocumentSample {
  const optional = (value: string | undefined) =>
    value === undefined ? undefined : cleanText(value, MAX_VALUE_LENGTH);
  return {
    key: cleanText(sample.key, MAX_VALUE_LENGTH),
    reason: cleanText(sample.reason, MAX_REASON_LENGTH),
    occurred_at: cleanText(sample.occurred_at, MAX_VALUE_LENGTH),
    ...definedOnly({
      dispatch_id: optional(sample.dispatch_id),
      correlation_id: optional(sample.correlation_id),
      ...(hook === "step-up"
        ? {
            user_id: optional(sample.user_id),
            session_id: optional(sample.session_id),
            scope: optional(sample.scope),
          }
        : {}),
    }),
  };
}
