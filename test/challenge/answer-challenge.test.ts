import * as crypto from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { answerChallenge, tokensMatch } from "../../lambdas/challenge/answer-challenge.js";

vi.mock("node:crypto", async (importOriginal) => {
  const original = await importOriginal<typeof import("node:crypto")>();
  return { ...original, timingSafeEqual: vi.fn(original.timingSafeEqual) };
});

const TOKEN = "s3cret-Token-0123456789";
const APPS = ["app_one", "app_two"];
const activation = (overrides: Record<string, string | undefined> = {}) => ({
  event: "activate",
  verification_token: TOKEN,
  challenge: "1234567",
  app_id: "app_two",
  ...overrides,
});

describe("answerChallenge", () => {
  it("echoes the challenge when the token matches and the app is configured", () => {
    expect(answerChallenge(activation(), TOKEN, APPS)).toEqual({
      statusCode: 200,
      body: '{"challenge":1234567}',
    });
  });

  it("returns the very integer it was sent, even beyond 2^53, as a JSON number", () => {
    const answer = answerChallenge(activation({ challenge: "-90071992547409931234" }), TOKEN, APPS);

    expect(answer).toEqual({ statusCode: 200, body: '{"challenge":-90071992547409931234}' });
  });

  it("drops leading zeros, which JSON numbers cannot have", () => {
    expect(answerChallenge(activation({ challenge: "007" }), TOKEN, APPS).body).toBe('{"challenge":7}');
  });

  it.each([
    ["a wrong token", { verification_token: "s3cret-Token-0123456780" }, "wrong_token"],
    ["a token that is a prefix of the right one", { verification_token: TOKEN.slice(0, -1) }, "wrong_token"],
    ["a longer token", { verification_token: `${TOKEN}x` }, "wrong_token"],
    ["no token", { verification_token: undefined }, "wrong_token"],
    ["an app that is not configured", { app_id: "app_three" }, "unknown_app"],
    ["no app id", { app_id: undefined }, "unknown_app"],
    ["another event", { event: "deactivate" }, "not_activation"],
    ["no event", { event: undefined }, "not_activation"],
    ["a decimal challenge", { challenge: "12.5" }, "bad_challenge"],
    ["a word as challenge", { challenge: "abc" }, "bad_challenge"],
    ["an empty challenge", { challenge: "" }, "bad_challenge"],
    ["no challenge", { challenge: undefined }, "bad_challenge"],
  ])("refuses %s with 403 and says nothing of why", (_name, overrides, refusal) => {
    const answer = answerChallenge(activation(overrides), TOKEN, APPS);

    expect(answer).toEqual({ statusCode: 403, body: '{"message":"forbidden"}', refusal });
  });

  it("never matches when no token is configured", () => {
    expect(answerChallenge(activation({ verification_token: "" }), "", APPS).statusCode).toBe(403);
  });
});

describe("tokensMatch", () => {
  it("compares in constant time over equal-length digests", () => {
    vi.mocked(crypto.timingSafeEqual).mockClear();

    expect(tokensMatch("short", "a much longer expected token")).toBe(false);
    expect(tokensMatch(TOKEN, TOKEN)).toBe(true);

    const calls = vi.mocked(crypto.timingSafeEqual).mock.calls;
    expect(calls).toHaveLength(2);
    for (const [a, b] of calls) expect((a as Buffer).length).toBe((b as Buffer).length);
  });
});
