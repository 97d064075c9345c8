/*
 * The self-test proves the deployed path one hop at a time. Each hop ends in one of three verdicts:
 * verified (it works, and how we know), failed (what is wrong and what to fix), or not verifiable
 * (why this run cannot tell). Only a failed hop makes the command exit non-zero.
 */

export type Verdict = "verified" | "failed" | "not_verifiable";

export interface HopResult {
  /** Short, stable name of the hop, e.g. `activation: configured token`. */
  readonly hop: string;
  readonly verdict: Verdict;
  /** What was seen: the evidence for a verified hop, the symptom of a failed one, the reason one is not verifiable. */
  readonly detail: string;
  /** For a failed hop: what to change or check. */
  readonly fix?: string;
}

export const verified = (hop: string, detail: string): HopResult => ({ hop, verdict: "verified", detail });

export const failed = (hop: string, detail: string, fix: string): HopResult => ({
  hop,
  verdict: "failed",
  detail,
  fix,
});

export const notVerifiable = (hop: string, detail: string): HopResult => ({
  hop,
  verdict: "not_verifiable",
  detail,
});

/** A hop that threw instead of returning a verdict: failed, with the error, unless the error says it cannot be checked. */
export function hopError(hop: string, error: unknown, fix: string): HopResult {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  if (isAccessDenied(error)) {
    return notVerifiable(hop, `your AWS credentials may not do this check (${text})`);
  }
  return failed(hop, text, fix);
}

function isAccessDenied(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return /^(AccessDenied|AccessDeniedException|UnauthorizedOperation)$/.test(error.name);
}

/** Runs a hop, turning an unexpected error into a failed (or, for access denied, not verifiable) verdict. */
export async function runHop(
  hop: string,
  fix: string,
  check: () => Promise<HopResult | readonly HopResult[]>,
): Promise<HopResult[]> {
  try {
    const result = await check();
    return Array.isArray(result) ? [...result] : [result as HopResult];
  } catch (error) {
    return [hopError(hop, error, fix)];
  }
}

export const VERDICT_LABEL: Record<Verdict, string> = {
  verified: "verified",
  failed: "FAILED",
  not_verifiable: "not verifiable",
};
