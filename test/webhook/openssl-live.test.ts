import { execFileSync } from "node:child_process";
import { createPublicKey, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSignatureVerifier, type SignatureVerifier } from "../../lambdas/webhook/signature-verifier.js";
import { type JwksEndpoint, startJwksEndpoint } from "./jwks-server.js";

/**
 * Fresh keys and signatures from the openssl command line, beyond the committed fixtures. Skipped where
 * openssl is missing: the fixture-based tests cover the same rules without it.
 */
const hasOpenssl = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

const openssl = (...args: string[]): Buffer =>
  execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] });

describe.skipIf(!hasOpenssl)("signatures made by the openssl command line on the spot", () => {
  let directory: string;
  let endpoint: JwksEndpoint;
  let verifier: SignatureVerifier;
  const keyFile = (bits: number) => join(directory, `key-${bits}.pem`);

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), "hookwatch-openssl-"));
    const jwks = [2048, 4096].map((bits) => {
      openssl(
        "genpkey",
        "-quiet",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        `rsa_keygen_bits:${bits}`,
        "-out",
        keyFile(bits),
      );
      const publicPem = openssl("pkey", "-in", keyFile(bits), "-pubout");
      return { ...createPublicKey(publicPem).export({ format: "jwk" }), kid: `live-${bits}`, alg: "PS256" };
    });
    endpoint = await startJwksEndpoint(...jwks);
    verifier = createSignatureVerifier({
      appIds: ["app_live"],
      jwksUrlFor: () => endpoint.url,
      fetchTimeoutMs: 5_000,
      cacheSeconds: 300,
      minRefetchSeconds: 30,
    });
  });

  afterAll(async () => {
    await endpoint?.close();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  function signWithOpenssl(bits: number, body: string, saltLength: string): Buffer {
    const bodyFile = join(directory, "body");
    writeFileSync(bodyFile, body);
    const signatureFile = join(directory, "signature");
    openssl(
      "dgst",
      "-sha256",
      "-sign",
      keyFile(bits),
      "-sigopt",
      "rsa_padding_mode:pss",
      "-sigopt",
      `rsa_pss_saltlen:${saltLength}`,
      "-out",
      signatureFile,
      bodyFile,
    );
    return readFileSync(signatureFile);
  }

  it.each([
    [2048, "digest"],
    [2048, "16"],
    [2048, "max"],
    [4096, "digest"],
    [4096, "max"],
  ])("verifies a %i-bit key's signature with salt length %s, in both alphabets", async (bits, saltLength) => {
    const body = JSON.stringify({ app_id: "app_live", events: [{ nonce: randomBytes(16).toString("hex") }] });
    const signature = signWithOpenssl(bits, body, saltLength);

    const checks = [
      await verifier.verify({ body, signature: `rsassa-pss-sha256=${signature.toString("base64")}` }),
      await verifier.verify({ body, signature: `rsassa-pss-sha256=${signature.toString("base64url")}` }),
      await verifier.verify({
        body: `${body} `,
        signature: `rsassa-pss-sha256=${signature.toString("base64")}`,
      }),
    ];

    expect(checks.map((check) => check.outcome)).toEqual(["verified", "verified", "rejected"]);
    expect(checks[0]).toMatchObject({ appIds: ["app_live"], keyId: `live-${bits}` });
  });
});
