import { createPublicKey, type KeyObject } from "node:crypto";
import * as z from "zod/mini";

/** An RSA public key from a Prelude app's JWKS that may verify RSASSA-PSS/SHA-256 signatures. */
export interface VerificationKey {
  readonly appId: string;
  readonly kid?: string;
  readonly key: KeyObject;
  /** The modulus length in bytes, which is the length of a signature made with this key. */
  readonly signatureBytes: number;
}

/** What the cache knows about one app's JWKS. */
export interface AppKeys {
  readonly appId: string;
  /** The usable keys of the last successful fetch; empty until one succeeds. */
  readonly keys: readonly VerificationKey[];
  /** Why the latest fetch failed; absent when it succeeded. When set, `keys` are stale or empty. */
  readonly failure?: string;
}

export interface JwksCacheOptions {
  readonly jwksUrlFor: (appId: string) => string;
  readonly fetchTimeoutMs: number;
  /** Keys fetched this recently are used without asking the JWKS endpoint again. */
  readonly cacheSeconds: number;
  /** At most one fetch per app within this interval, whatever triggers it (expiry, unknown kid, failure). */
  readonly minRefetchSeconds: number;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

export interface JwksCache {
  /** The app's keys, fetched first when never fetched or older than `cacheSeconds` (rate-limited). */
  keysOf(appId: string): Promise<AppKeys>;
  /** Fetches the app's JWKS again unless a fetch was attempted within `minRefetchSeconds`. */
  refetch(appId: string): Promise<AppKeys>;
}

/** A JWKS is bigger than this only if something is wrong; refuse it rather than buffer it. */
const MAX_JWKS_BYTES = 256 * 1024;

/** RSA keys shorter than this are too weak to trust, even if a JWKS publishes them. */
const MIN_RSA_BITS = 2048;

const jwksSchema = z.object({ keys: z.array(z.looseObject({ kty: z.string() })) });

const rsaSigningJwkSchema = z.looseObject({
  kty: z.literal("RSA"),
  kid: z.optional(z.string()),
  use: z.optional(z.literal("sig")),
  alg: z.optional(z.literal("PS256")),
  key_ops: z.optional(z.array(z.string())),
  n: z.string().check(z.regex(/^[A-Za-z0-9_-]+$/)),
  e: z.string().check(z.regex(/^[A-Za-z0-9_-]+$/)),
});

/**
 * The keys of a JWKS document usable for RSASSA-PSS/SHA-256: kty RSA, `use` absent or "sig", `alg` absent
 * or "PS256", `key_ops` absent or allowing "verify", at least 2048 bits. Other keys are skipped, not errors,
 * so a JWKS that also publishes encryption or EC keys still works. Throws when the document is not a JWKS.
 */
export function readVerificationKeys(appId: string, json: unknown): VerificationKey[] {
  const parsed = jwksSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join(".") : "document";
    throw new JwksFetchError(`not a JWKS (${where}: ${issue?.message ?? "invalid"})`);
  }
  const keys: VerificationKey[] = [];
  for (const candidate of parsed.data.keys) {
    const jwk = rsaSigningJwkSchema.safeParse(candidate);
    if (!jwk.success) continue;
    if (jwk.data.key_ops !== undefined && !jwk.data.key_ops.includes("verify")) continue;
    let key: KeyObject;
    try {
      key = createPublicKey({ key: { kty: "RSA", n: jwk.data.n, e: jwk.data.e }, format: "jwk" });
    } catch {
      continue;
    }
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) continue;
    keys.push({
      appId,
      key,
      signatureBytes: Math.ceil(bits / 8),
      ...(jwk.data.kid === undefined ? {} : { kid: jwk.data.kid }),
    });
  }
  return keys;
}

/** A JWKS could not be fetched or read; the message says why, never more than the URL and the cause. */
export class JwksFetchError extends Error {
  override name = "JwksFetchError";
}

interface AppState {
  keys: readonly VerificationKey[];
  fetchedAt?: number;
  attemptedAt?: number;
  failure?: string;
  inflight?: Promise<void>;
}

/**
 * Caches each app's JWKS across invocations. One fetch at a time per app: concurrent callers share the
 * in-flight fetch. A failed fetch keeps the previous keys (stale but still Prelude's) and records why.
 */
export function createJwksCache(options: JwksCacheOptions): JwksCache {
  const fetchJson = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const cacheMs = options.cacheSeconds * 1000;
  const minRefetchMs = options.minRefetchSeconds * 1000;
  const states = new Map<string, AppState>();

  const stateOf = (appId: string): AppState => {
    let state = states.get(appId);
    if (state === undefined) {
      state = { keys: [] };
      states.set(appId, state);
    }
    return state;
  };

  const snapshot = (appId: string, state: AppState): AppKeys => ({
    appId,
    keys: state.keys,
    ...(state.failure === undefined ? {} : { failure: state.failure }),
  });

  async function fetchKeys(appId: string): Promise<VerificationKey[]> {
    const url = options.jwksUrlFor(appId);
    let text: string;
    try {
      const response = await fetchJson(url, {
        headers: { accept: "application/json" },
        signal: AbortSignal.timeout(options.fetchTimeoutMs),
      });
      if (!response.ok) {
        await response.body?.cancel();
        throw new JwksFetchError(`HTTP ${response.status} from ${url}`);
      }
      const length = Number(response.headers.get("content-length") ?? 0);
      if (length > MAX_JWKS_BYTES) {
        await response.body?.cancel();
        throw new JwksFetchError(`${url} answered ${length} bytes, more than a JWKS can be`);
      }
      text = await response.text();
    } catch (error) {
      if (error instanceof JwksFetchError) throw error;
      throw new JwksFetchError(`${url}: ${describeFetchError(error, options.fetchTimeoutMs)}`);
    }
    if (text.length > MAX_JWKS_BYTES) throw new JwksFetchError(`${url} answered more than a JWKS can be`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new JwksFetchError(`${url} did not answer JSON`);
    }
    try {
      return readVerificationKeys(appId, json);
    } catch (error) {
      throw new JwksFetchError(`${url}: ${(error as Error).message}`);
    }
  }

  async function refetch(appId: string): Promise<AppKeys> {
    const state = stateOf(appId);
    if (state.inflight === undefined) {
      const attemptedAt = state.attemptedAt;
      if (attemptedAt !== undefined && now() - attemptedAt < minRefetchMs) return snapshot(appId, state);
      state.attemptedAt = now();
      state.inflight = fetchKeys(appId)
        .then(
          (keys) => {
            state.keys = keys;
            state.fetchedAt = now();
            state.failure = undefined;
          },
          (error: unknown) => {
            state.failure = `JWKS of app "${appId}" unavailable: ${(error as Error).message}`;
          },
        )
        .finally(() => {
          state.inflight = undefined;
        });
    }
    await state.inflight;
    return snapshot(appId, state);
  }

  return {
    keysOf(appId) {
      const state = stateOf(appId);
      const fetchedAt = state.fetchedAt;
      if (fetchedAt !== undefined && now() - fetchedAt < cacheMs && state.inflight === undefined) {
        return Promise.resolve(snapshot(appId, state));
      }
      return refetch(appId);
    },
    refetch,
  };
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error) {
    if (error.name === "TimeoutError") return `no answer within ${timeoutMs} ms`;
    const code = (error.cause as { code?: unknown } | undefined)?.code;
    if (typeof code === "string") return `${error.message} (${code})`;
    return error.message;
  }
  return String(error);
}
