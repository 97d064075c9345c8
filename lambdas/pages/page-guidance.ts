import type { Hook } from "../runtime/hooks.js";

/**
 * What a page tells on-call beyond its numbers: what the hook is for, what the reasons mean and what to
 * check first. One wording for every channel (the email text, Slack, Teams); each channel lays it out.
 * Lines are kept as the email text wraps them; a channel that wraps by itself joins them with a space.
 */

export const HOOK_IMPACT: Readonly<Record<Hook, readonly string[]>> = {
  migration: [
    "Prelude calls it to look up legacy users while they migrate:",
    "those sign-ins fail while it is down.",
  ],
  "step-up": ["Prelude calls it to decide on sensitive actions:", "those actions fail while it is down."],
};

/** The transport reasons, the ones that page, and what each means for the hook. */
export const TRANSPORT_REASON_MEANINGS: readonly {
  readonly reason: string;
  readonly lines: readonly string[];
}[] = [
  {
    reason: "request_failed",
    lines: ["no answer: DNS failure, connection refused, TLS error,", "or no answer within 5 s"],
  },
  { reason: "invalid_status_code", lines: ["the hook answered with a non-2xx HTTP status"] },
];

export const RESPONSE_LEVEL_MEANING: readonly string[] = [
  "Response-level reasons mean the hook answered 2xx with a body Prelude could",
  "not use: a misconfigured hook, not a down one. They are stored, not paged.",
];

/** In the order on-call should check them. */
export const CHECK_FIRST_STEPS: readonly string[] = [
  "The hook URL answers within 5 s and returns 2xx, from outside your network.",
  "Recent deploys or config changes of the service behind the hook.",
  "Its TLS certificate (expiry, chain) and its DNS record.",
];

/** One line of prose from lines wrapped for the email text. */
export function joinLines(lines: readonly string[]): string {
  return lines.join(" ");
}
