import { readFileSync } from "node:fs";

/** Fixtures made by the openssl command line (test/fixtures/signatures/make-fixtures.sh). */
const directory = new URL("../fixtures/signatures/", import.meta.url);
const read = (name: string): string => readFileSync(new URL(name, directory), "utf8");

export interface FixtureJwk {
  readonly kty: string;
  readonly kid: string;
  readonly use?: string;
  readonly alg?: string;
  readonly n: string;
  readonly e: string;
}

/** The signed body, exactly as openssl read it (no trailing newline; contains a non-ASCII character). */
export const signedBody = read("signed-body.txt");

/** 2048-bit keys A and B and a 3072-bit key C, with kids "key-a", "key-b", "key-c". */
export const jwkA: FixtureJwk = JSON.parse(read("key-a.jwk.json"));
export const jwkB: FixtureJwk = JSON.parse(read("key-b.jwk.json"));
export const jwkC: FixtureJwk = JSON.parse(read("key-c.jwk.json"));
export const publicPemA = read("key-a.pub.pem");

interface SignatureFixtures {
  /** RSASSA-PSS/SHA-256 signatures of `signedBody`, standard base64 with padding. */
  readonly pss: {
    readonly keyA_salt32: string;
    readonly keyA_saltMax: string;
    readonly keyA_salt0: string;
    readonly keyB_salt32: string;
    readonly keyC_salt32: string;
  };
  /** HMAC-SHA256 of `signedBody`, standard base64; `secret` is a test-only value. */
  readonly hmac: {
    readonly secret: string;
    readonly withSecret: string;
    readonly keyedWithKeyAModulus: string;
    readonly keyedWithKeyAPublicPem: string;
    readonly keyedWithKeyAJwk: string;
  };
}

export const signatures: SignatureFixtures = JSON.parse(read("signatures.json"));

/** Rewrites standard base64 in the base64url alphabet without padding, by hand, not with node's encoder. */
export function toBase64Url(base64: string): string {
  return base64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The body with one byte changed. */
export function tamper(body: string): string {
  const index = body.indexOf("request_failed");
  return `${body.slice(0, index)}R${body.slice(index + 1)}`;
}
