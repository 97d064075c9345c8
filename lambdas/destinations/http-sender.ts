import type { DeliveryRequest } from "./delivery-request.js";
import { parseRetryAfter } from "./retry-after.js";

/** How a delivery ended within one invocation. */
export type SendOutcome =
  | {
      readonly kind: "delivered";
      readonly status: number;
      readonly attempts: number;
      readonly answer: string;
    }
  /** The destination refused the request for good (a 4xx other than 408 and 429, or a redirect). */
  | { readonly kind: "rejected"; readonly status: number; readonly attempts: number; readonly answer: string }
  /** Throttled, failing or unreachable until the time budget ran out: SQS redelivers the page later. */
  | { readonly kind: "unavailable"; readonly attempts: number; readonly reason: string };

export interface SendOptions {
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Epoch ms by which the last attempt must have ended (the invocation's deadline, less a margin). */
  readonly deadlineMs: number;
  /** How long one attempt may take. */
  readonly attemptTimeoutMs: number;
  /** The first backoff; it doubles after each failure, up to `maxBackoffMs`. */
  readonly baseBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

/** How much of a destination's answer is kept for the log and the dead-letter attributes. */
export const MAX_ANSWER_LENGTH = 1_000;

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * POSTs a request, retrying throttling (429), 408, 5xx and network failures with exponential backoff,
 * waiting at least what `Retry-After` asks, for as long as another attempt still fits before the deadline.
 * `prepare` builds each attempt (a signature covers the attempt's time). Redirects are not followed.
 */
export async function sendWithRetries(
  prepare: (nowMs: number) => DeliveryRequest,
  options: SendOptions,
): Promise<SendOutcome> {
  const fetchFn = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? sleepFor;
  const maxBackoffMs = options.maxBackoffMs ?? 8_000;
  let backoffMs = options.baseBackoffMs ?? 500;
  for (let attempts = 1; ; attempts++) {
    const result = await attempt(fetchFn, prepare(now()), options.attemptTimeoutMs);
    if (result.kind === "answered" && result.status >= 200 && result.status < 300) {
      return { kind: "delivered", status: result.status, attempts, answer: result.answer };
    }
    if (result.kind === "answered" && !isRetryable(result.status)) {
      return { kind: "rejected", status: result.status, attempts, answer: result.answer };
    }
    const reason = result.kind === "answered" ? `HTTP ${result.status}: ${result.answer}` : result.reason;
    const asked = result.kind === "answered" ? parseRetryAfter(result.retryAfter, now()) : undefined;
    const waitMs = Math.max(backoffMs, asked ?? 0);
    if (now() + waitMs + options.attemptTimeoutMs > options.deadlineMs) {
      const later = asked === undefined ? "" : ` (asked to retry after ${Math.ceil(asked / 1000)} s)`;
      return { kind: "unavailable", attempts, reason: `${reason}${later}` };
    }
    await sleep(waitMs);
    backoffMs = Math.min(backoffMs * 2, maxBackoffMs);
  }
}

/** 408 and 429 ask for a later attempt; every 5xx may be passing. Anything else will not change. */
export function isRetryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

type AttemptResult =
  | { kind: "answered"; status: number; answer: string; retryAfter: string | null }
  | { kind: "failed"; reason: string };

async function attempt(
  fetchFn: typeof fetch,
  request: DeliveryRequest,
  timeoutMs: number,
): Promise<AttemptResult> {
  try {
    const response = await fetchFn(request.url, {
      method: "POST",
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    const answer = (await response.text()).slice(0, MAX_ANSWER_LENGTH);
    return {
      kind: "answered",
      status: response.status,
      answer,
      retryAfter: response.headers.get("retry-after"),
    };
  } catch (error) {
    // The cause, never the URL: a Slack or Teams URL is itself the secret.
    const cause =
      (error as Error).name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : networkCause(error);
    return { kind: "failed", reason: cause };
  }
}

function networkCause(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  return `network error${cause?.code ? ` (${cause.code})` : ""}`;
}
