import { createHash, timingSafeEqual } from "node:crypto";

/** Why a challenge was refused; logged for operators, never sent to the caller. */
export type ChallengeRefusal = "not_activation" | "wrong_token" | "unknown_app" | "bad_challenge";

export type ChallengeAnswer =
  | { readonly statusCode: 200; readonly body: string }
  | { readonly statusCode: 403; readonly body: string; readonly refusal: ChallengeRefusal };

/** Query parameters of Prelude's activation GET; any may be missing. */
export type ChallengeQuery = Readonly<Record<string, string | undefined>>;

// A challenge is "an integer"; more digits than this is not a challenge Prelude sends.
const CHALLENGE_PATTERN = /^-?\d{1,40}$/;

const FORBIDDEN = JSON.stringify({ message: "forbidden" });

/**
 * Constant-time token comparison. Hashing both sides first gives equal-length buffers, so the
 * time taken reveals neither the token's content nor its length.
 */
export function tokensMatch(given: string, expected: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Answers Prelude's activation challenge: 200 and `{"challenge": <n>}` (the same integer) only
 * when `event=activate`, the verification token matches, the app is configured and the challenge
 * is an integer; 403 otherwise, without saying which check failed.
 */
export function answerChallenge(
  query: ChallengeQuery,
  token: string,
  appIds: readonly string[],
): ChallengeAnswer {
  const refuse = (refusal: ChallengeRefusal): ChallengeAnswer => ({
    statusCode: 403,
    body: FORBIDDEN,
    refusal,
  });

  if (query.event !== "activate") return refuse("not_activation");
  if (token === "" || !tokensMatch(query.verification_token ?? "", token)) return refuse("wrong_token");
  if (query.app_id === undefined || !appIds.includes(query.app_id)) return refuse("unknown_app");
  const challenge = query.challenge;
  if (challenge === undefined || !CHALLENGE_PATTERN.test(challenge)) return refuse("bad_challenge");
  // BigInt keeps every digit of an integer beyond 2^53 and drops leading zeros JSON forbids.
  return { statusCode: 200, body: `{"challenge":${BigInt(challenge).toString()}}` };
}
