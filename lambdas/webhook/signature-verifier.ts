import { constants, createHmac, timingSafeEqual, verify } from "node:crypto";
import { type AppKeys, createJwksCache, type VerificationKey } from "./jwks-cache.js";

export type SignatureCheck =
  | {
      readonly outcome: "verified";
      readonly scheme: "rsassa-pss-sha256" | "hmac-sha256";
      /**
       * The apps whose JWKS holds a key that verified the body (RSASSA-PSS only; several when apps share
       * a key); the body's `app_id` must be one of them.
       */
      readonly appIds?: readonly string[];
      /** The `kid` of the first such key, when the JWKS names it. */
      readonly keyId?: string;
    }
  /** Permanent: forged, malformed or missing. Never retried. */
  | { readonly outcome: "rejected"; readonly reason: string }
  /** Transient (JWKS unreachable, timed out, secret unreadable): the message is retried later. */
  | { readonly outcome: "unavailable"; readonly reason: string };

export interface SignatureVerifier {
  verify(request: { body: string; signature?: string; keyId?: string }): Promise<SignatureCheck>;
}

export interface SignatureVerifierOptions {
  /** The configured Prelude apps; only their JWKS keys can verify a body. */
  readonly appIds: readonly string[];
  readonly jwksUrlFor: (appId: string) => string;
  readonly fetchTimeoutMs: number;
  readonly cacheSeconds: number;
  readonly minRefetchSeconds: number;
  /** The legacy `sha256=` HMAC secret; without it, HMAC signatures are rejected. */
  readonly hmacSecret?: () => Promise<string>;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

const PSS_SCHEME = "rsassa-pss-sha256";
const HMAC_SCHEME = "sha256";
const HMAC_SHA256_BYTES = 32;

/**
 * Verifies `X-Webhook-Signature` over the exact raw body, before anything parses it. The body's `app_id`
 * cannot be trusted yet, so every configured app's JWKS is a candidate; the verdict names the apps whose
 * keys verified. Create one per container: the JWKS cache lives inside it.
 */
export function createSignatureVerifier(options: SignatureVerifierOptions): SignatureVerifier {
  if (options.appIds.length === 0) {
    throw new Error("createSignatureVerifier: appIds must name at least one Prelude app");
  }
  const jwks = createJwksCache(options);
  const appList = options.appIds.map((id) => `"${id}"`).join(", ");

  async function verifyPss(body: Buffer, signature: Buffer, keyId?: string): Promise<SignatureCheck> {
    const sets = await Promise.all(options.appIds.map((appId) => jwks.keysOf(appId)));
    let attempt = tryKeys(sets, body, signature, keyId);
    if (attempt.verifiedBy.length > 0) return verified(attempt.verifiedBy);
    // A kid names one key for good: if it is known and does not verify, no refetch can change that.
    if (keyId !== undefined && attempt.candidates.length > 0) return rejected(attempt, signature, keyId);

    // An unknown kid, or (without a kid) a key rotated in since the last fetch: refetch, rate-limited per app.
    const refreshed = await Promise.all(options.appIds.map((appId) => jwks.refetch(appId)));
    if (refreshed.some((set, index) => set.keys !== sets[index]?.keys)) {
      attempt = tryKeys(refreshed, body, signature, keyId);
      if (attempt.verifiedBy.length > 0) return verified(attempt.verifiedBy);
    }
    if (keyId !== undefined && attempt.candidates.length > 0) return rejected(attempt, signature, keyId);

    // Stale or missing keys that did not verify prove nothing when the refetch failed: retry later rather
    // than reject a body Prelude may have signed with a key we could not load. Never fail open.
    const failures = refreshed.flatMap((set) => (set.failure === undefined ? [] : [set.failure]));
    if (failures.length > 0) return { outcome: "unavailable", reason: failures.join("; ") };
    return rejected(attempt, signature, keyId);
  }

  function rejected(attempt: KeyAttempt, signature: Buffer, keyId?: string): SignatureCheck {
    const { candidates } = attempt;
    if (keyId !== undefined && candidates.length === 0) {
      return reject(`unknown key id ${quote(keyId)}: not in the JWKS of app ${appList}`);
    }
    if (candidates.length === 0) return reject(`no usable RSA signing key in the JWKS of app ${appList}`);
    const which =
      keyId === undefined
        ? `any of the ${candidates.length} key(s) of app ${appList}`
        : `key ${quote(keyId)} of app ${[...new Set(candidates.map((key) => `"${key.appId}"`))].join(", ")}`;
    return reject(
      `RSASSA-PSS signature does not verify with ${which} (body altered, or signed with another key)` +
        lengthHint(signature, candidates),
    );
  }

  async function verifyHmac(body: Buffer, value: string): Promise<SignatureCheck> {
    if (options.hmacSecret === undefined) {
      return reject(
        "sha256= (HMAC) signature, but no HMAC secret is configured (HMAC_SECRET_ARN); only rsassa-pss-sha256= can be verified",
      );
    }
    const decoded = decodeBase64(value);
    if (typeof decoded === "string") return reject(`HMAC signature ${decoded}`);
    if (decoded.length !== HMAC_SHA256_BYTES) {
      return reject(
        `HMAC-SHA256 signature is ${decoded.length} bytes, not ${HMAC_SHA256_BYTES} (truncated?)`,
      );
    }
    let secret: string;
    try {
      secret = await options.hmacSecret();
    } catch (error) {
      return { outcome: "unavailable", reason: `HMAC secret could not be loaded: ${(error as Error).name}` };
    }
    if (secret === "") return { outcome: "unavailable", reason: "the configured HMAC secret is empty" };
    // Only the configured secret keys the HMAC: no JWKS material is ever used here.
    const expected = createHmac("sha256", secret).update(body).digest();
    if (!timingSafeEqual(expected, decoded)) {
      return reject("HMAC signature does not match the body (body altered, or made with another secret)");
    }
    return { outcome: "verified", scheme: "hmac-sha256" };
  }

  return {
    async verify({ body, signature, keyId }) {
      const header = parseSignatureHeader(signature);
      if ("reason" in header) return reject(header.reason);
      const raw = Buffer.from(body, "utf8");
      if (header.scheme === HMAC_SCHEME) return verifyHmac(raw, header.value);
      const decoded = decodeBase64(header.value);
      if (typeof decoded === "string") return reject(`RSASSA-PSS signature ${decoded}`);
      return verifyPss(raw, decoded, keyId === undefined || keyId.trim() === "" ? undefined : keyId.trim());
    },
  };
}

interface KeyAttempt {
  readonly candidates: readonly VerificationKey[];
  /** The first candidate that verified, and every other candidate with the same key (apps sharing it). */
  readonly verifiedBy: readonly VerificationKey[];
}

function tryKeys(sets: readonly AppKeys[], body: Buffer, signature: Buffer, keyId?: string): KeyAttempt {
  const candidates = sets.flatMap((set) =>
    keyId === undefined ? set.keys : set.keys.filter((key) => key.kid === keyId),
  );
  const first = candidates.find((key) =>
    verify(
      "sha256",
      body,
      {
        key: key.key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        // Prelude does not document its salt length: read it from the signature.
        saltLength: constants.RSA_PSS_SALTLEN_AUTO,
      },
      signature,
    ),
  );
  // One RSA verification per message; the apps that share the key are found by comparing key material.
  const verifiedBy = first === undefined ? [] : candidates.filter((key) => key.key.equals(first.key));
  return { candidates, verifiedBy };
}

function verified(keys: readonly VerificationKey[]): SignatureCheck {
  const kid = keys[0]?.kid;
  return {
    outcome: "verified",
    scheme: "rsassa-pss-sha256",
    appIds: [...new Set(keys.map((key) => key.appId))],
    ...(kid === undefined ? {} : { keyId: kid }),
  };
}

function reject(reason: string): SignatureCheck {
  return { outcome: "rejected", reason };
}

type ParsedHeader = { scheme: typeof PSS_SCHEME | typeof HMAC_SCHEME; value: string } | { reason: string };

function parseSignatureHeader(header: string | undefined): ParsedHeader {
  if (header === undefined || header.trim() === "") return { reason: "missing X-Webhook-Signature header" };
  const separator = header.indexOf("=");
  if (separator <= 0) {
    return { reason: `X-Webhook-Signature has no scheme; expected "${PSS_SCHEME}=<signature>"` };
  }
  const scheme = header.slice(0, separator).trim().toLowerCase();
  const value = header.slice(separator + 1).trim();
  if (scheme !== PSS_SCHEME && scheme !== HMAC_SCHEME) {
    return {
      reason: `unknown signature scheme ${quote(scheme)}; expected "${PSS_SCHEME}=" or "${HMAC_SCHEME}="`,
    };
  }
  return { scheme, value };
}

/** Decodes base64url or standard base64, padded or not; returns why when the value is neither. */
function decodeBase64(value: string): Buffer | string {
  if (value === "") return "is empty";
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return "is not base64 or base64url";
  if (/[+/]/.test(value) && /[-_]/.test(value)) return "mixes the base64 and base64url alphabets";
  const unpadded = value.replace(/=+$/, "");
  const padded = unpadded.length !== value.length;
  if (unpadded.length % 4 === 1 || (padded && value.length % 4 !== 0)) {
    return "has a length no base64 encoding can have (truncated?)";
  }
  return Buffer.from(unpadded.replaceAll("+", "-").replaceAll("/", "_"), "base64url");
}

function lengthHint(signature: Buffer, keys: readonly VerificationKey[]): string {
  const sizes = [...new Set(keys.map((key) => key.signatureBytes))];
  if (sizes.includes(signature.length)) return "";
  const shorter = sizes.every((size) => signature.length < size);
  return `; the signature is ${signature.length} bytes, the key(s) sign ${sizes.join(" or ")} bytes${shorter ? " (truncated?)" : ""}`;
}

/** Quotes a value taken from the request for a reason: bounded, printable. */
function quote(value: string): string {
  const printable = value.replace(/[^\x20-\x7e]/g, "?");
  return JSON.stringify(printable.length > 64 ? `${printable.slice(0, 64)}…` : printable);
}
