import { TRANSPORT_REASONS } from "../webhook/event-validation.js";

/** The limits every channel imposes on a page, and the caps that keep webhook data within them. */

// SNS: Subject "less than 100 characters"; one SMS segment holds 140 ASCII characters.
export const SUBJECT_MAX_LENGTH = 99;
export const SMS_MAX_LENGTH = 140;
// PagerDuty Events API v2: payload.summary is at most 1024 characters.
export const SUMMARY_MAX_LENGTH = 1024;
export const MAX_SAMPLES = 5;
export const MAX_REASONS = 20;
// Prelude ids are ~30 characters (`usr_` + ULID). With these caps the worst page (every value quotes,
// escaped twice, in six protocol copies) publishes ~225 KB, under SNS's 256 KiB.
export const MAX_VALUE_LENGTH = 64;
export const MAX_REASON_LENGTH = 48;
export const MAX_APP_ID_LENGTH = 128;
// PagerDuty's dedup_key limit; on-call search by it, so the text must show it whole.
export const MAX_DEDUP_KEY_LENGTH = 255;
// The runbook URL is a deploy setting, capped at synth and at cold start.
export const MAX_RUNBOOK_URL_LENGTH = 1024;
// A silence's reason is an operator's words (at most 500 characters); a page quotes its start.
export const MAX_SILENCE_REASON_LENGTH = 200;
export const LABEL_WIDTH = 16;
export const OTHER_REASONS_KEY = "(other reasons)";

export const PAGED_REASONS: readonly string[] = TRANSPORT_REASONS;

export const STEP_UP_FIELDS = ["user_id", "session_id", "scope"] as const;
