import { randomBytes, randomInt } from "node:crypto";
import { failed, type HopResult, hopError, verified } from "./hop-result.js";
import type { SelftestTarget } from "./selftest-target.js";

export const CHALLENGE_HOPS = {
  configuredToken: "activation: configured token",
  wrongToken: "activation: wrong token",
} as const;

const REQUEST_TIMEOUT_MS = 15_000;

interface ChallengeResponse {
  readonly status: number;
  readonly body: string;
}

/** Prelude's activation GET (docs: `event=activate`, `verification_token`, `challenge`, `app_id`). */
async function sendActivation(
  target: SelftestTarget,
  token: string,
  challenge: string,
  fetchImpl: typeof fetch,
): Promise<ChallengeResponse> {
  const url = new URL(target.webhookUrl);
  url.search = new URLSearchParams({
    event: "activate",
    verification_token: token,
    challenge,
    app_id: target.appId,
  }).toString();
  const response = await fetchImpl(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  return { status: response.status, body: await response.text() };
}

/** The integer in `{"challenge": <n>}`, compared as digits (it may exceed 2^53). */
function answeredChallenge(body: string): string | undefined {
  return /^\s*\{\s*"challenge"\s*:\s*(-?\d+)\s*\}\s*$/.exec(body)?.[1];
}

/**
 * The activation GET answers the configured token with the same challenge, and refuses a wrong token with
 * 403. Two hops: a wrong token that is accepted is a failure of its own (anyone could activate the URL).
 */
export async function checkActivation(
  target: SelftestTarget,
  fetchImpl: typeof fetch = fetch,
): Promise<HopResult[]> {
  return [await checkConfiguredToken(target, fetchImpl), await checkWrongToken(target, fetchImpl)];
}

async function checkConfiguredToken(target: SelftestTarget, fetchImpl: typeof fetch): Promise<HopResult> {
  const hop = CHALLENGE_HOPS.configuredToken;
  let token: string;
  try {
    token = await target.readVerificationToken();
  } catch (error) {
    return hopError(hop, error, `make the verification token readable (${target.tokenSource})`);
  }
  if (token === "") {
    return failed(
      hop,
      `the verification token in ${target.tokenSource} is empty`,
      "put a token of 1 to 100 characters there",
    );
  }
  const challenge = String(randomInt(100_000_000_000, 999_999_999_999));
  let response: ChallengeResponse;
  try {
    response = await sendActivation(target, token, challenge, fetchImpl);
  } catch (error) {
    return unreachable(hop, target, error);
  }
  if (response.status === 200 && answeredChallenge(response.body) === challenge) {
    return verified(
      hop,
      `GET answered 200 {"challenge": ${challenge}} for app ${target.appId}, with the token from ${target.tokenSource}`,
    );
  }
  if (response.status === 200) {
    return failed(
      hop,
      `GET answered 200 but not {"challenge": ${challenge}}: ${response.body.slice(0, 120)}`,
      "Prelude needs the same integer back: check lambdas/challenge/answer-challenge.ts is what is deployed",
    );
  }
  if (response.status === 403) {
    return failed(
      hop,
      `GET refused the token from ${target.tokenSource} (403) for app ${target.appId}`,
      target.resources.local
        ? "the running npm start answers another token than that file holds, or another app: restart npm start"
        : `the challenge function reads another secret, or app ${target.appId} is not in its PRELUDE_APP_IDS (deploy with -c appIds=…); a token changed in the last minute is answered after up to a minute`,
    );
  }
  return failed(
    hop,
    `GET answered ${response.status}: ${response.body.slice(0, 120)}`,
    target.resources.local
      ? "see the npm start terminal for the endpoint's error"
      : "the challenge function failed: read its log group (could it read the secret?) and the API's access log",
  );
}

async function checkWrongToken(target: SelftestTarget, fetchImpl: typeof fetch): Promise<HopResult> {
  const hop = CHALLENGE_HOPS.wrongToken;
  const wrongToken = `selftest-wrong-${randomBytes(18).toString("base64url")}`;
  const challenge = String(randomInt(100_000_000_000, 999_999_999_999));
  let response: ChallengeResponse;
  try {
    response = await sendActivation(target, wrongToken, challenge, fetchImpl);
  } catch (error) {
    return unreachable(hop, target, error);
  }
  if (response.status === 403) return verified(hop, "GET with a wrong token refused with 403");
  if (response.status === 200) {
    return failed(
      hop,
      "GET answered a wrong token with 200: anyone who knows the URL can activate a webhook on it",
      "the challenge function must compare the token (lambdas/challenge/answer-challenge.ts); check the deployed code and that the secret is not empty",
    );
  }
  return failed(
    hop,
    `GET with a wrong token answered ${response.status}, not 403`,
    "the challenge function should refuse with 403; read its log group",
  );
}

function unreachable(hop: string, target: SelftestTarget, error: unknown): HopResult {
  const cause =
    error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
  if (target.resources.local) {
    return failed(
      hop,
      `could not reach ${target.webhookUrl}: ${cause}`,
      "is npm start still running? restart it",
    );
  }
  if (error instanceof Error && error.name === "TimeoutError") {
    return failed(
      hop,
      `no answer from ${target.webhookUrl} within ${REQUEST_TIMEOUT_MS / 1000} s`,
      "check the API stage and the challenge function's timeouts",
    );
  }
  // Failed rather than not verifiable: a deleted API looks the same as a network problem from here.
  return failed(
    hop,
    `could not reach ${target.webhookUrl}: ${cause}`,
    "check the stack's WebhookUrl output still exists, and your network, proxy and DNS",
  );
}
