import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createSignatureVerifier } from "../../lambdas/webhook/signature-verifier.js";
import {
  createPreludeSigner,
  DEV_KEY_FILE,
  loadOrCreatePreludeSigner,
  type ServedJwks,
  signHmac,
} from "../../local/prelude-signer.js";
import { signatures, signedBody } from "./fixtures.js";

const hasOpenssl = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function served(jwks: Promise<ServedJwks>): Promise<ServedJwks> {
  const server = await jwks;
  cleanups.push(() => server.close());
  return server;
}

async function temporaryDirectory(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), "hookwatch-signer-"));
  cleanups.push(() => rm(directory, { recursive: true, force: true }));
  return directory;
}

function verifierFor(url: string) {
  return createSignatureVerifier({
    appIds: ["app_local"],
    jwksUrlFor: () => url,
    fetchTimeoutMs: 5_000,
    cacheSeconds: 300,
    minRefetchSeconds: 30,
  });
}

describe("the Prelude signer", () => {
  it.each(["base64url", "base64"] as const)("signs bodies the verifier accepts, in %s", async (alphabet) => {
    const signer = createPreludeSigner();
    const jwks = await served(signer.serveJwks());
    const body = JSON.stringify({ app_id: "app_local", events: [] });

    const check = await verifierFor(jwks.url).verify({
      body,
      signature: signer.sign(body, { alphabet }),
      keyId: signer.kid,
    });

    expect(check).toMatchObject({ outcome: "verified", appIds: ["app_local"], keyId: signer.kid });
  });

  it("writes base64url by default and standard base64 on request", () => {
    const signer = createPreludeSigner();

    const headers = Array.from({ length: 8 }, (_, i) => [
      signer.sign(`body ${i}`),
      signer.sign(`body ${i}`, { alphabet: "base64" }),
    ]);

    for (const [base64url, base64] of headers) {
      expect(base64url).toMatch(/^rsassa-pss-sha256=[A-Za-z0-9_-]{342}$/);
      expect(base64).toMatch(/^rsassa-pss-sha256=[A-Za-z0-9+/]{342}==$/);
    }
  });

  it("does not verify a body it did not sign", async () => {
    const signer = createPreludeSigner();
    const jwks = await served(signer.serveJwks());

    const check = await verifierFor(jwks.url).verify({ body: "other", signature: signer.sign("body") });

    expect(check.outcome).toBe("rejected");
  });

  it("publishes only the public key, marked for PS256 signatures", () => {
    const signer = createPreludeSigner({ kid: "dev-1" });

    const { keys } = signer.jwks();

    expect(keys).toHaveLength(1);
    expect(keys[0]).toEqual({
      kty: "RSA",
      kid: "dev-1",
      use: "sig",
      alg: "PS256",
      n: expect.any(String),
      e: "AQAB",
    });
    expect(Buffer.from(keys[0]?.n ?? "", "base64url")).toHaveLength(256);
  });

  it("serves its JWKS on loopback, counts requests and answers 404 elsewhere", async () => {
    const signer = createPreludeSigner();
    const jwks = await served(signer.serveJwks());

    const document = await (await fetch(jwks.url)).json();
    const elsewhere = await fetch(new URL("/other", jwks.url));

    expect(jwks.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\.well-known\/jwks\.json$/);
    expect(document).toEqual(signer.jwks());
    expect(elsewhere.status).toBe(404);
    expect(jwks.hits()).toBe(2);
  });

  it("signs HMAC exactly as openssl does", () => {
    expect(signHmac(signedBody, signatures.hmac.secret)).toBe(`sha256=${signatures.hmac.withSecret}`);
  });

  it.skipIf(!hasOpenssl)("makes PSS signatures with a 32-byte salt that openssl verifies", async () => {
    const signer = createPreludeSigner();
    const directory = await temporaryDirectory();
    const publicPem = join(directory, "public.pem");
    const privatePem = join(directory, "private.pem");
    await writeFile(privatePem, signer.privateKeyPem());
    execFileSync("openssl", ["pkey", "-in", privatePem, "-pubout", "-out", publicPem]);
    const bodyFile = join(directory, "body.json");
    await writeFile(bodyFile, signedBody);
    const signatureFile = join(directory, "signature");
    const header = signer.sign(signedBody, { alphabet: "base64" });
    await writeFile(signatureFile, Buffer.from(header.slice("rsassa-pss-sha256=".length), "base64"));
    const opensslVerify = (saltLength: string) =>
      execFileSync(
        "openssl",
        [
          "dgst",
          "-sha256",
          "-verify",
          publicPem,
          "-sigopt",
          "rsa_padding_mode:pss",
          "-sigopt",
          `rsa_pss_saltlen:${saltLength}`,
          "-signature",
          signatureFile,
          bodyFile,
        ],
        { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
      );

    expect(opensslVerify("32")).toContain("Verified OK");
    expect(() => opensslVerify("20")).toThrow();
  });
  it("names the kid after the key's RFC 7638 thumbprint, so different keys get different kids", () => {
    const signer = createPreludeSigner();
    const [key] = signer.jwks().keys;
    const expected = createHash("sha256")
      .update(`{"e":"${key?.e}","kty":"RSA","n":"${key?.n}"}`)
      .digest("base64url");

    expect(signer.kid).toBe(expected);
    expect(createPreludeSigner().kid).not.toBe(signer.kid);
  });
});

describe("the persisted development key", () => {
  it("creates a key on first start and loads the same key afterwards", async () => {
    const directory = await temporaryDirectory();

    const first = await loadOrCreatePreludeSigner(directory);
    const second = await loadOrCreatePreludeSigner(directory);
    const jwks = await served(first.serveJwks());
    const body = "persisted";

    expect(second.kid).toBe(first.kid);
    expect(second.jwks()).toEqual(first.jwks());
    expect(
      await verifierFor(jwks.url).verify({ body, signature: second.sign(body), keyId: second.kid }),
    ).toMatchObject({
      outcome: "verified",
    });
  });

  it("keeps the key file readable by its owner only", async () => {
    const directory = await temporaryDirectory();

    await loadOrCreatePreludeSigner(directory);

    expect((await stat(join(directory, DEV_KEY_FILE))).mode & 0o077).toBe(0);
  });

  it("refuses a key file that is not a saved key, and says how to recover", async () => {
    const directory = await temporaryDirectory();
    await writeFile(join(directory, DEV_KEY_FILE), "not json");

    await expect(loadOrCreatePreludeSigner(directory)).rejects.toThrow(
      /is not a saved signing key; delete it/,
    );
    expect(await readFile(join(directory, DEV_KEY_FILE), "utf8")).toBe("not json");
  });
});
