/**
 * Key and attribute names of hookwatch's two tables, shared by the stack that creates them
 * and the code that reads and writes them. docs/how-it-works.md ("Item model") explains them.
 */
export const EVENTS_TABLE = {
  partitionKey: "dispatch_id",
  ttlAttribute: "expires_at",
  /** GSI listing one hook's events of one reason class in `occurred_at` order. */
  byHookIndex: { name: "by-hook", partitionKey: "hook_key", sortKey: "occurred_key" },
} as const;

/** Attributes copied into the `by-hook` index: enough for lists, pages and the CLI without a fetch. */
export const BY_HOOK_PROJECTION = [
  "type",
  "hook",
  "app_id",
  "reason",
  "reason_class",
  "occurred_at",
  "received_at",
  "correlation_id",
  "user_id",
  "session_id",
  "scope",
  "key_source",
] as const;

export const STATE_TABLE = {
  partitionKey: "pk",
  sortKey: "sk",
  ttlAttribute: "expires_at",
  /** Sparse GSI holding only open bursts, so the recovery schedule never scans. */
  openBurstsIndex: { name: "open-bursts", partitionKey: "open_flag", sortKey: "pk" },
} as const;
