import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_BURST_RULE } from "../../lambdas/runtime/config.js";
import { TRANSPORT_REASONS, validateEvent } from "../../lambdas/webhook/event-validation.js";
import { createSignatureVerifier, type SignatureVerifier } from "../../lambdas/webhook/signature-verifier.js";
import { WEBHOOK_HEADERS } from "../../lambdas/webhook/webhook-message.js";
import { DEFAULT_APP_ID } from "../../local/local-files.js";
import { createPreludeSigner, type ServedJwks } from "../../local/prelude-signer.js";
import { buildScenario, type SampleRequest, SCENARIOS } from "../../local/send-samples.js";
import { LOCAL_APP_ID } from "../../local/stack-template.js";

const APP_ID = "app_samples";
const NOW = Date.parse("2026-11-21T09:15:00Z");
const signer = createPreludeSigner();
let jwks: ServedJwks;
let verifier: SignatureVerifier;

beforeAll(async () => {
  jwks = await signer.serveJwks();
  verifier = createSignatureVerifier({
    appIds: [APP_ID],
    jwksUrlFor: () => jwks.url,
    fetchTimeoutMs: 2_000,
    cacheSeconds: 3_600,
    minRefetchSeconds: 30,
  });
});

afterAll(() => jwks.close());

function eventsOf(request: SampleRequest): unknown[] {
  return (JSON.parse(request.body ?? "{}") as { events: unknown[] }).events;
}

function verify(request: SampleRequest) {
  return verifier.verify({
    body: request.body ?? "",
    ...(request.headers[WEBHOOK_HEADERS.signature] === undefined
      ? {}
      : { signature: request.headers[WEBHOOK_HEADERS.signature] }),
    ...(request.headers[WEBHOOK_HEADERS.signatureKeyId] === undefined
      ? {}
      : { keyId: request.headers[WEBHOOK_HEADERS.signatureKeyId] }),
  });
}

describe("npm run send scenarios", () => {
  it("signs every POST so that the processor's verifier accepts it", async () => {
    const posts = (Object.keys(SCENARIOS) as (keyof typeof SCENARIOS)[])
      .filter((scenario) => scenario !== "forged" && scenario !== "activate")
      .flatMap((scenario) => buildScenario(scenario, { appId: APP_ID, signer, now: NOW }));

    const checks = await Promise.all(posts.map(verify));

    expect(checks.map((check) => check.outcome)).toEqual(posts.map(() => "verified"));
  });

  it("forges a signature the verifier rejects, under the real key id", async () => {
    const [forged] = buildScenario("forged", { appId: APP_ID, signer, now: NOW }) as [SampleRequest];

    const check = await verify(forged);

    expect(forged.headers[WEBHOOK_HEADERS.signatureKeyId]).toBe(signer.kid);
    expect(check.outcome).toBe("rejected");
  });

  it("sends a burst that crosses the default threshold within its window, occurring now", () => {
    const [burst] = buildScenario("burst", { appId: APP_ID, signer, now: NOW }) as [SampleRequest];

    const events = eventsOf(burst).map((element) => validateEvent(element));
    const times = events.map((event) => (event.valid ? (event.event.occurredAtMs ?? 0) : 0));

    const transport = events.filter(
      (event) => event.valid && (TRANSPORT_REASONS as readonly string[]).includes(event.event.reason ?? ""),
    );
    expect(transport.length).toBeGreaterThanOrEqual(DEFAULT_BURST_RULE.threshold);
    expect(Math.max(...times) - Math.min(...times)).toBeLessThan(DEFAULT_BURST_RULE.windowSeconds * 1000);
    expect(Math.max(...times)).toBeLessThanOrEqual(NOW);
    expect(NOW - Math.min(...times)).toBeLessThan(10_000);
  });

  it("sends one valid and one invalid event in the invalid scenario", () => {
    const [request] = buildScenario("invalid", { appId: APP_ID, signer, now: NOW }) as [SampleRequest];

    const validity = eventsOf(request).map((element) => validateEvent(element).valid);

    expect(validity).toEqual([true, false]);
  });

  it("sends the same batch twice in the duplicates scenario, with the event twice inside", () => {
    const [first, again] = buildScenario("duplicates", { appId: APP_ID, signer, now: NOW }) as [
      SampleRequest,
      SampleRequest,
    ];

    expect(again.body).toBe(first.body);
    expect(first.dispatchIds).toHaveLength(1);
    expect(eventsOf(first)).toHaveLength(2);
  });

  it("sends no signature headers when unsigned", () => {
    const [request] = buildScenario("migration", { appId: APP_ID, now: NOW }) as [SampleRequest];

    expect(request.headers[WEBHOOK_HEADERS.signature]).toBeUndefined();
    expect(request.headers[WEBHOOK_HEADERS.signatureKeyId]).toBeUndefined();
  });

  it("needs the verification token for the activation challenge", () => {
    expect(() => buildScenario("activate", { appId: APP_ID })).toThrow(/verification token/);
    const [request] = buildScenario("activate", { appId: APP_ID, verificationToken: "t0ken" }) as [
      SampleRequest,
    ];
    expect(request.query).toMatchObject({ event: "activate", verification_token: "t0ken", app_id: APP_ID });
  });

  it("defaults to the app id the local synthesis accepts", () => {
    expect(DEFAULT_APP_ID).toBe(LOCAL_APP_ID);
  });
});
