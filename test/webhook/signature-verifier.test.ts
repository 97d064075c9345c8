import { afterEach, describe, expect, it } from "vitest";
import {
  createSignatureVerifier,
  type SignatureCheck,
  type SignatureVerifierOptions,
} from "../../lambdas/webhook/signature-verifier.js";
import { jwkA, jwkB, jwkC, signatures, signedBody, tamper, toBase64Url } from "./fixtures.js";
import { type JwksEndpoint, startJwksEndpoint, unreachableJwksUrl } from "./jwks-server.js";

const pss = (base64: string) => `rsassa-pss-sha256=${base64}`;
const hmac = (base64: string) => `sha256=${base64}`;

let endpoints: JwksEndpoint[] = [];
let clock = 1_700_000_000_000;

afterEach(async () => {
  await Promise.all(endpoints.map((endpoint) => endpoint.close()));
  endpoints = [];
  clock = 1_700_000_000_000;
});

async function endpointServing(...keys: readonly unknown[]): Promise<JwksEndpoint> {
  const endpoint = await startJwksEndpoint(...keys);
  endpoints.push(endpoint);
  return endpoint;
}

/** A verifier for the given apps (app id → JWKS URL), with a clock the test moves by hand. */
function verifierFor(urls: Record<string, string>, options: Partial<SignatureVerifierOptions> = {}) {
  return createSignatureVerifier({
    appIds: Object.keys(urls),
    jwksUrlFor: (appId) => {
      const url = urls[appId];
      if (url === undefined) throw new Error(`no JWKS URL for ${appId}`);
      return url;
    },
    fetchTimeoutMs: 5_000,
    cacheSeconds: 300,
    minRefetchSeconds: 30,
    now: () => clock,
    ...options,
  });
}

async function verifierWithKeyA(options: Partial<SignatureVerifierOptions> = {}) {
  const endpoint = await endpointServing(jwkA);
  return { endpoint, verifier: verifierFor({ app_a: endpoint.url }, options) };
}

function expectRejected(check: SignatureCheck, reason: RegExp): void {
  expect(check.outcome).toBe("rejected");
  expect(check.outcome === "rejected" && check.reason).toMatch(reason);
}

function expectUnavailable(check: SignatureCheck, reason: RegExp): void {
  expect(check.outcome).toBe("unavailable");
  expect(check.outcome === "unavailable" && check.reason).toMatch(reason);
}

describe("RSASSA-PSS signatures made by openssl", () => {
  it("verifies a signature in standard base64 with padding and names the app and key", async () => {
    const { verifier } = await verifierWithKeyA();

    const check = await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) });

    expect(check).toEqual({
      outcome: "verified",
      scheme: "rsassa-pss-sha256",
      appIds: ["app_a"],
      keyId: "key-a",
    });
  });

  it("verifies a signature in base64url without padding", async () => {
    const { verifier } = await verifierWithKeyA();
    const base64url = toBase64Url(signatures.pss.keyA_salt32);
    expect(base64url).toMatch(/[-_]/);

    const check = await verifier.verify({ body: signedBody, signature: pss(base64url) });

    expect(check.outcome).toBe("verified");
  });

  it("verifies a signature in standard base64 without padding", async () => {
    const { verifier } = await verifierWithKeyA();
    const unpadded = signatures.pss.keyA_salt32.replace(/=+$/, "");
    expect(unpadded).not.toBe(signatures.pss.keyA_salt32);

    const check = await verifier.verify({ body: signedBody, signature: pss(unpadded) });

    expect(check.outcome).toBe("verified");
  });

  it.each([
    ["0 (none)", signatures.pss.keyA_salt0],
    ["32 (the digest length)", signatures.pss.keyA_salt32],
    ["222 (the maximum for a 2048-bit key)", signatures.pss.keyA_saltMax],
  ])("detects the salt length by itself: salt of %s bytes", async (_salt, signature) => {
    const { verifier } = await verifierWithKeyA();

    const check = await verifier.verify({ body: signedBody, signature: pss(signature), keyId: "key-a" });

    expect(check).toMatchObject({ outcome: "verified", keyId: "key-a" });
  });

  it("verifies with a 3072-bit key", async () => {
    const endpoint = await endpointServing(jwkC);
    const verifier = verifierFor({ app_a: endpoint.url });

    const check = await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyC_salt32) });

    expect(check).toMatchObject({ outcome: "verified", keyId: "key-c" });
  });

  it("rejects a body with one byte changed", async () => {
    const { verifier } = await verifierWithKeyA();
    const body = tamper(signedBody);
    expect(Buffer.byteLength(body)).toBe(Buffer.byteLength(signedBody));

    const check = await verifier.verify({ body, signature: pss(signatures.pss.keyA_salt32), keyId: "key-a" });

    expectRejected(check, /does not verify with key "key-a" of app "app_a" \(body altered/);
  });

  it("verifies over the UTF-8 bytes of the body, so a re-encoded body fails", async () => {
    const { verifier } = await verifierWithKeyA();
    const latin1Body = Buffer.from(signedBody, "utf8").toString("latin1");

    const check = await verifier.verify({ body: latin1Body, signature: pss(signatures.pss.keyA_salt32) });

    expectRejected(check, /does not verify/);
  });

  it("rejects a signature made with a key the app does not publish", async () => {
    const { verifier } = await verifierWithKeyA();

    const check = await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyB_salt32) });

    expectRejected(check, /does not verify with any of the 1 key\(s\) of app "app_a"/);
  });

  it("rejects a signature made with another key even when it claims the published kid", async () => {
    const { verifier } = await verifierWithKeyA();

    const check = await verifier.verify({
      body: signedBody,
      signature: pss(signatures.pss.keyB_salt32),
      keyId: "key-a",
    });

    expectRejected(check, /does not verify with key "key-a"/);
  });

  it("rejects a truncated signature and says it looks truncated", async () => {
    const { verifier } = await verifierWithKeyA();
    const truncated = signatures.pss.keyA_salt32.slice(0, 200);

    const check = await verifier.verify({ body: signedBody, signature: pss(truncated) });

    expectRejected(check, /the signature is 150 bytes, the key\(s\) sign 256 bytes \(truncated\?\)/);
  });

  it("rejects a signature cut to a length no base64 encoding has", async () => {
    const { verifier } = await verifierWithKeyA();
    const cut = toBase64Url(signatures.pss.keyA_salt32).slice(0, 341);

    const check = await verifier.verify({ body: signedBody, signature: pss(cut) });

    expectRejected(check, /length no base64 encoding can have \(truncated\?\)/);
  });

  it.each([
    ["characters outside both alphabets", "abc$def!", /is not base64 or base64url/],
    ["both alphabets at once", "ab+c-def", /mixes the base64 and base64url alphabets/],
    ["padding in the middle", "ab==cdef", /is not base64 or base64url/],
    ["nothing after the scheme", "", /is empty/],
  ])("rejects a garbled signature: %s", async (_case, value, reason) => {
    const { verifier, endpoint } = await verifierWithKeyA();

    const check = await verifier.verify({ body: signedBody, signature: pss(value) });

    expectRejected(check, reason);
    expect(endpoint.hits()).toBe(0);
  });
});

describe("the X-Webhook-Signature header", () => {
  it.each([
    ["absent", undefined, /missing X-Webhook-Signature header/],
    ["empty", "  ", /missing X-Webhook-Signature header/],
    ["a bare signature without scheme", signatures.pss.keyA_salt32.replace(/=+$/, ""), /has no scheme/],
    ["an unknown scheme", `ed25519=${signatures.pss.keyA_salt32}`, /unknown signature scheme "ed25519"/],
    ["a scheme with control characters", "rsa\u0000pss=abcd", /unknown signature scheme "rsa\?pss"/],
  ])("rejects a header that is %s", async (_case, signature, reason) => {
    const { verifier } = await verifierWithKeyA();

    const check = await verifier.verify({
      body: signedBody,
      ...(signature === undefined ? {} : { signature }),
    });

    expectRejected(check, reason);
  });

  it("accepts the scheme name in any case, as HTTP headers often are", async () => {
    const { verifier } = await verifierWithKeyA();

    const check = await verifier.verify({
      body: signedBody,
      signature: `RSASSA-PSS-SHA256=${signatures.pss.keyA_salt32}`,
    });

    expect(check.outcome).toBe("verified");
  });
});

describe("choosing the key", () => {
  it("uses the key the kid names among several", async () => {
    const endpoint = await endpointServing(jwkB, jwkC, jwkA);
    const verifier = verifierFor({ app_a: endpoint.url });

    const check = await verifier.verify({
      body: signedBody,
      signature: pss(signatures.pss.keyA_salt32),
      keyId: "key-a",
    });

    expect(check).toMatchObject({ outcome: "verified", keyId: "key-a" });
  });

  it("tries only the key the kid names: another published key is not a fallback", async () => {
    const endpoint = await endpointServing(jwkB, jwkC, jwkA);
    const verifier = verifierFor({ app_a: endpoint.url });

    const check = await verifier.verify({
      body: signedBody,
      signature: pss(signatures.pss.keyA_salt32),
      keyId: "key-b",
    });

    expectRejected(check, /does not verify with key "key-b"/);
  });

  it("tries every RSA key when no kid is given", async () => {
    const endpoint = await endpointServing(jwkB, jwkC, jwkA);
    const verifier = verifierFor({ app_a: endpoint.url });

    const check = await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) });

    expect(check).toMatchObject({ outcome: "verified", appIds: ["app_a"], keyId: "key-a" });
  });

  it("names the app whose JWKS holds the verifying key, whatever the body claims", async () => {
    const endpointA = await endpointServing(jwkC);
    const endpointB = await endpointServing(jwkA);
    const verifier = verifierFor({ A: endpointA.url, B: endpointB.url });
    expect(signedBody).toContain('"app_id":"app_fixture"');

    const withoutKid = await verifier.verify({
      body: signedBody,
      signature: pss(signatures.pss.keyA_salt32),
    });
    const withKid = await verifier.verify({
      body: signedBody,
      signature: pss(signatures.pss.keyA_salt32),
      keyId: "key-a",
    });

    expect(withoutKid).toMatchObject({ outcome: "verified", appIds: ["B"], keyId: "key-a" });
    expect(withKid).toMatchObject({ outcome: "verified", appIds: ["B"], keyId: "key-a" });
  });

  it("names every app whose JWKS holds the verifying key when apps share one", async () => {
    const endpointA = await endpointServing(jwkA);
    const endpointB = await endpointServing(jwkC, jwkA);
    const endpointC = await endpointServing(jwkB);
    const verifier = verifierFor({ A: endpointA.url, B: endpointB.url, C: endpointC.url });

    const check = await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) });

    expect(check).toEqual({
      outcome: "verified",
      scheme: "rsassa-pss-sha256",
      appIds: ["A", "B"],
      keyId: "key-a",
    });
  });

  it("verifies with a key that has no kid, and reports no keyId", async () => {
    const { kid: _kid, ...withoutKid } = jwkA;
    const endpoint = await endpointServing(withoutKid);
    const verifier = verifierFor({ app_a: endpoint.url });

    const check = await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) });

    expect(check).toEqual({ outcome: "verified", scheme: "rsassa-pss-sha256", appIds: ["app_a"] });
  });

  it.each([
    ["an encryption key (use: enc)", { ...jwkA, use: "enc" }],
    ["a key for another algorithm (alg: RS256)", { ...jwkA, alg: "RS256" }],
    ["a key whose key_ops exclude verify", { ...jwkA, key_ops: ["encrypt"] }],
    ["a key with a malformed modulus", { ...jwkA, n: "not base64url!" }],
  ])("never verifies with %s", async (_case, jwk) => {
    const endpoint = await endpointServing(jwk);
    const verifier = verifierFor({ app_a: endpoint.url });

    const check = await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) });

    expectRejected(check, /no usable RSA signing key in the JWKS of app "app_a"/);
  });

  it("verifies when the JWKS also publishes keys it cannot use", async () => {
    const ecKey = {
      kty: "EC",
      crv: "P-256",
      kid: "ec",
      x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
      y: "x",
    };
    const endpoint = await endpointServing(ecKey, { ...jwkB, use: "enc" }, jwkA);
    const verifier = verifierFor({ app_a: endpoint.url });

    const check = await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) });

    expect(check).toMatchObject({ outcome: "verified", keyId: "key-a" });
  });
});

describe("the JWKS cache", () => {
  it("fetches the JWKS once for many verifications", async () => {
    const { verifier, endpoint } = await verifierWithKeyA();

    for (let i = 0; i < 3; i++) {
      const check = await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) });
      expect(check.outcome).toBe("verified");
    }

    expect(endpoint.hits()).toBe(1);
  });

  it("shares one in-flight fetch between concurrent verifications", async () => {
    const { verifier, endpoint } = await verifierWithKeyA();

    const checks = await Promise.all(
      Array.from({ length: 10 }, () =>
        verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) }),
      ),
    );

    expect(checks.map((check) => check.outcome)).toEqual(Array(10).fill("verified"));
    expect(endpoint.hits()).toBe(1);
  });

  it("fetches the JWKS again once cacheSeconds have passed", async () => {
    const { verifier, endpoint } = await verifierWithKeyA({ cacheSeconds: 300 });
    await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) });

    clock += 299_000;
    await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) });
    expect(endpoint.hits()).toBe(1);
    clock += 1_000;
    await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) });

    expect(endpoint.hits()).toBe(2);
  });

  it("refetches on an unknown kid and verifies with the newly published key", async () => {
    const { verifier, endpoint } = await verifierWithKeyA({ minRefetchSeconds: 30 });
    await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) });
    endpoint.serve(jwkA, jwkB);
    clock += 30_000;

    const check = await verifier.verify({
      body: signedBody,
      signature: pss(signatures.pss.keyB_salt32),
      keyId: "key-b",
    });

    expect(check).toMatchObject({ outcome: "verified", keyId: "key-b" });
    expect(endpoint.hits()).toBe(2);
  });

  it("rejects a kid that is still unknown after the refetch", async () => {
    const { verifier, endpoint } = await verifierWithKeyA({ minRefetchSeconds: 30 });
    await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) });
    clock += 30_000;

    const check = await verifier.verify({
      body: signedBody,
      signature: pss(signatures.pss.keyB_salt32),
      keyId: "key-b",
    });

    expectRejected(check, /unknown key id "key-b": not in the JWKS of app "app_a"/);
    expect(endpoint.hits()).toBe(2);
  });

  it("rejects an unknown kid without fetching when the JWKS was fetched within minRefetchSeconds", async () => {
    const { verifier, endpoint } = await verifierWithKeyA({ minRefetchSeconds: 30 });
    await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) });
    endpoint.serve(jwkA, jwkB);
    clock += 29_000;

    const check = await verifier.verify({
      body: signedBody,
      signature: pss(signatures.pss.keyB_salt32),
      keyId: "key-b",
    });

    expectRejected(check, /unknown key id "key-b"/);
    expect(endpoint.hits()).toBe(1);
  });

  it("refetches at most once per minRefetchSeconds however many unknown kids arrive", async () => {
    const { verifier, endpoint } = await verifierWithKeyA({ minRefetchSeconds: 30 });
    await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) });
    clock += 30_000;

    for (let i = 0; i < 20; i++) {
      await verifier.verify({
        body: signedBody,
        signature: pss(signatures.pss.keyA_salt32),
        keyId: `kid-${i}`,
      });
      clock += 1_000;
    }
    expect(endpoint.hits()).toBe(2);
    clock += 10_000; // 30 s after the refetch the first unknown kid caused
    await verifier.verify({
      body: signedBody,
      signature: pss(signatures.pss.keyA_salt32),
      keyId: "kid-late",
    });

    expect(endpoint.hits()).toBe(3);
  });

  it("does not refetch for a known kid whose key does not verify", async () => {
    const { verifier, endpoint } = await verifierWithKeyA({ minRefetchSeconds: 30 });
    await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) });
    clock += 30_000;

    const check = await verifier.verify({
      body: tamper(signedBody),
      signature: pss(signatures.pss.keyA_salt32),
      keyId: "key-a",
    });

    expectRejected(check, /does not verify with key "key-a"/);
    expect(endpoint.hits()).toBe(1);
  });

  it("picks up a key rotated in since the last fetch when no kid is given", async () => {
    const { verifier, endpoint } = await verifierWithKeyA({ minRefetchSeconds: 30 });
    await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) });
    endpoint.serve(jwkB);
    clock += 30_000;

    const check = await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyB_salt32) });

    expect(check).toMatchObject({ outcome: "verified", keyId: "key-b" });
    expect(endpoint.hits()).toBe(2);
  });
});

describe("JWKS outages", () => {
  it("says unavailable, not rejected, when the JWKS endpoint refuses connections", async () => {
    const verifier = verifierFor({ app_a: await unreachableJwksUrl() });

    const check = await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) });

    expectUnavailable(check, /JWKS of app "app_a" unavailable: .*ECONNREFUSED/);
  });

  it("says unavailable when the JWKS endpoint answers 503", async () => {
    const { verifier, endpoint } = await verifierWithKeyA();
    endpoint.behave({ kind: "status", status: 503 });

    const check = await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) });

    expectUnavailable(check, /HTTP 503/);
  });

  it("says unavailable when the JWKS endpoint does not answer within the timeout", async () => {
    const { verifier, endpoint } = await verifierWithKeyA({ fetchTimeoutMs: 200 });
    endpoint.behave({ kind: "hang" });

    const check = await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) });

    expectUnavailable(check, /no answer within 200 ms/);
    expect(endpoint.hits()).toBe(1);
  });

  it.each([
    ["not JSON", "<html>down for maintenance</html>", /did not answer JSON/],
    ["JSON without keys", '{"error":"not found"}', /not a JWKS \(keys:/],
    ["keys that are not objects", '{"keys":["a"]}', /not a JWKS \(keys\.0:/],
  ])("says unavailable when the JWKS endpoint answers %s", async (_case, text, reason) => {
    const { verifier, endpoint } = await verifierWithKeyA();
    endpoint.behave({ kind: "text", text });

    const check = await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) });

    expectUnavailable(check, reason);
  });

  it("does not hammer a failing JWKS endpoint: one attempt per minRefetchSeconds", async () => {
    const { verifier, endpoint } = await verifierWithKeyA({ minRefetchSeconds: 30 });
    endpoint.behave({ kind: "status", status: 503 });

    for (let i = 0; i < 5; i++) {
      const check = await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) });
      expect(check.outcome).toBe("unavailable");
    }

    expect(endpoint.hits()).toBe(1);
  });

  it("verifies again once the JWKS endpoint is back and minRefetchSeconds have passed", async () => {
    const { verifier, endpoint } = await verifierWithKeyA({ minRefetchSeconds: 30 });
    endpoint.behave({ kind: "status", status: 503 });
    expect(
      (await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) })).outcome,
    ).toBe("unavailable");
    endpoint.serve(jwkA);
    clock += 30_000;

    const check = await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) });

    expect(check.outcome).toBe("verified");
  });

  it("keeps verifying with stale cached keys while the JWKS endpoint is down", async () => {
    const { verifier, endpoint } = await verifierWithKeyA({ cacheSeconds: 300 });
    await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) });
    endpoint.behave({ kind: "status", status: 503 });
    clock += 600_000;

    const check = await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) });

    expect(check).toMatchObject({ outcome: "verified", keyId: "key-a" });
    expect(endpoint.hits()).toBe(2);
  });

  it("says unavailable when stale keys do not verify and the refetch failed (the key may be new)", async () => {
    const { verifier, endpoint } = await verifierWithKeyA({ cacheSeconds: 300 });
    await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) });
    endpoint.behave({ kind: "status", status: 503 });
    clock += 600_000;

    const check = await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyB_salt32) });

    expectUnavailable(check, /HTTP 503/);
  });

  it("says unavailable for an unknown kid when the refetch failed", async () => {
    const { verifier, endpoint } = await verifierWithKeyA({ minRefetchSeconds: 30 });
    await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) });
    endpoint.behave({ kind: "status", status: 500 });
    clock += 30_000;

    const check = await verifier.verify({
      body: signedBody,
      signature: pss(signatures.pss.keyB_salt32),
      keyId: "key-b",
    });

    expectUnavailable(check, /HTTP 500/);
  });

  it("rejects a known kid whose key does not verify, even while the JWKS endpoint is down", async () => {
    const { verifier, endpoint } = await verifierWithKeyA({ cacheSeconds: 300 });
    await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) });
    endpoint.behave({ kind: "status", status: 503 });
    clock += 600_000;

    const check = await verifier.verify({
      body: tamper(signedBody),
      signature: pss(signatures.pss.keyA_salt32),
      keyId: "key-a",
    });

    expectRejected(check, /does not verify with key "key-a"/);
  });

  it("rejects a kid found by the refetch whose key does not verify, though another app's JWKS is down", async () => {
    const endpointA = await endpointServing(jwkA);
    const verifier = verifierFor({ A: endpointA.url, B: await unreachableJwksUrl() });
    await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32), keyId: "key-a" });
    endpointA.serve(jwkA, jwkB);
    clock += 30_000;

    const check = await verifier.verify({
      body: tamper(signedBody),
      signature: pss(signatures.pss.keyB_salt32),
      keyId: "key-b",
    });

    expectRejected(check, /does not verify with key "key-b" of app "A"/);
  });

  it("verifies with one app's key while another app's JWKS is down", async () => {
    const endpointB = await endpointServing(jwkA);
    const verifier = verifierFor({ A: await unreachableJwksUrl(), B: endpointB.url });

    const check = await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyA_salt32) });

    expect(check).toMatchObject({ outcome: "verified", appIds: ["B"] });
  });

  it("says unavailable when no reachable app's key verifies and another app's JWKS is down", async () => {
    const endpointB = await endpointServing(jwkA);
    const verifier = verifierFor({ A: await unreachableJwksUrl(), B: endpointB.url });

    const check = await verifier.verify({ body: signedBody, signature: pss(signatures.pss.keyB_salt32) });

    expectUnavailable(check, /JWKS of app "A" unavailable/);
  });
});

describe("HMAC signatures (the older sha256= scheme)", () => {
  const secret = signatures.hmac.secret;
  const hmacSecret = async () => secret;

  it("verifies openssl's HMAC-SHA256 made with the configured secret", async () => {
    const { verifier } = await verifierWithKeyA({ hmacSecret });

    const check = await verifier.verify({ body: signedBody, signature: hmac(signatures.hmac.withSecret) });

    expect(check).toEqual({ outcome: "verified", scheme: "hmac-sha256" });
  });

  it("rejects an HMAC signature when no secret is configured", async () => {
    const { verifier } = await verifierWithKeyA();

    const check = await verifier.verify({ body: signedBody, signature: hmac(signatures.hmac.withSecret) });

    expectRejected(check, /no HMAC secret is configured/);
  });

  it("rejects an HMAC signature of a body with one byte changed", async () => {
    const { verifier } = await verifierWithKeyA({ hmacSecret });

    const check = await verifier.verify({
      body: tamper(signedBody),
      signature: hmac(signatures.hmac.withSecret),
    });

    expectRejected(check, /HMAC signature does not match the body/);
  });

  it("rejects an HMAC signature made with another secret", async () => {
    const { verifier } = await verifierWithKeyA({ hmacSecret: async () => "another-test-only-secret" });

    const check = await verifier.verify({ body: signedBody, signature: hmac(signatures.hmac.withSecret) });

    expectRejected(check, /HMAC signature does not match the body/);
  });

  it("rejects a truncated HMAC signature", async () => {
    const { verifier } = await verifierWithKeyA({ hmacSecret });

    const check = await verifier.verify({
      body: signedBody,
      signature: hmac(signatures.hmac.withSecret.slice(0, 40)),
    });

    expectRejected(check, /HMAC-SHA256 signature is 30 bytes, not 32 \(truncated\?\)/);
  });

  it.each([
    ["the modulus n", signatures.hmac.keyedWithKeyAModulus],
    ["the public key PEM", signatures.hmac.keyedWithKeyAPublicPem],
    ["the public JWK", signatures.hmac.keyedWithKeyAJwk],
  ])("never accepts an HMAC keyed with JWKS material (%s)", async (_material, signature) => {
    const withoutSecret = await verifierWithKeyA();
    const withSecret = await verifierWithKeyA({ hmacSecret });

    const checks = [
      await withoutSecret.verifier.verify({ body: signedBody, signature: hmac(signature) }),
      await withSecret.verifier.verify({ body: signedBody, signature: hmac(signature) }),
      await withSecret.verifier.verify({ body: signedBody, signature: hmac(signature), keyId: "key-a" }),
    ];

    expect(checks.map((check) => check.outcome)).toEqual(["rejected", "rejected", "rejected"]);
  });

  it("says unavailable when the secret cannot be loaded, without a word of the secret", async () => {
    class AccessDeniedException extends Error {
      override name = "AccessDeniedException";
    }
    const { verifier } = await verifierWithKeyA({
      hmacSecret: async () => {
        throw new AccessDeniedException(`would have leaked ${secret}`);
      },
    });

    const check = await verifier.verify({ body: signedBody, signature: hmac(signatures.hmac.withSecret) });

    expectUnavailable(check, /HMAC secret could not be loaded: AccessDeniedException/);
    expect(JSON.stringify(check)).not.toContain(secret);
  });

  it("never puts the secret or the expected HMAC in a reason", async () => {
    const { verifier } = await verifierWithKeyA({ hmacSecret });

    const check = await verifier.verify({
      body: tamper(signedBody),
      signature: hmac(signatures.hmac.keyedWithKeyAModulus),
    });

    expect(check.outcome).toBe("rejected");
    const text = JSON.stringify(check);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(signatures.hmac.withSecret);
  });
});

describe("creating a verifier", () => {
  it("refuses an empty list of apps", () => {
    expect(() => verifierFor({})).toThrow(/appIds must name at least one Prelude app/);
  });

  it("fetches nothing until a signature needs a key", async () => {
    const { endpoint } = await verifierWithKeyA();

    expect(endpoint.hits()).toBe(0);
  });
});
