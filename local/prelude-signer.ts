import {
  constants,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  sign,
} from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { join } from "node:path";
import { z } from "zod";

/** A public signing key as Prelude publishes it in `/.well-known/jwks.json`. */
export interface PreludeJwk {
  readonly kty: "RSA";
  readonly kid: string;
  readonly use: "sig";
  readonly alg: "PS256";
  readonly n: string;
  readonly e: string;
}

export interface Jwks {
  readonly keys: readonly PreludeJwk[];
}

export interface ServedJwks {
  /** Loopback URL of the JWKS document. */
  readonly url: string;
  /** How many requests the server answered, to check caching and refetch limits. */
  readonly hits: () => number;
  close(): Promise<void>;
}

/** Signs webhook bodies the way Prelude does, with a key of its own; for tests and the local pipeline. */
export interface PreludeSigner {
  readonly kid: string;
  /** `X-Webhook-Signature` for `body`: `rsassa-pss-sha256=<sig>`, RSASSA-PSS/SHA-256, 32-byte salt. */
  sign(body: string, options?: { alphabet?: "base64url" | "base64" }): string;
  /** The public JWKS holding this signer's key. */
  jwks(): Jwks;
  /** Serves `jwks()` from a loopback HTTP server on a free port. */
  serveJwks(): Promise<ServedJwks>;
  /** The private key, PKCS#8 PEM, to persist a development key. */
  privateKeyPem(): string;
}

/**
 * A signer with a fresh RSA-2048 key, or with `privateKeyPem` when given. The kid defaults to the key's
 * RFC 7638 thumbprint, so a persisted key keeps its kid.
 */
export function createPreludeSigner(options: { privateKeyPem?: string; kid?: string } = {}): PreludeSigner {
  const privateKey: KeyObject =
    options.privateKeyPem === undefined
      ? generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey
      : createPrivateKey(options.privateKeyPem);
  if (privateKey.asymmetricKeyType !== "rsa") throw new Error("the Prelude signer needs an RSA private key");
  const publicJwk = createPublicKey(privateKey).export({ format: "jwk" }) as JsonWebKey & {
    n: string;
    e: string;
  };
  const kid = options.kid ?? thumbprintOf(publicJwk);
  const jwk: PreludeJwk = { kty: "RSA", kid, use: "sig", alg: "PS256", n: publicJwk.n, e: publicJwk.e };

  return {
    kid,
    sign(body, { alphabet = "base64url" } = {}) {
      const signature = sign("sha256", Buffer.from(body, "utf8"), {
        key: privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      });
      return `rsassa-pss-sha256=${signature.toString(alphabet)}`;
    },
    jwks: () => ({ keys: [jwk] }),
    serveJwks: () => serveJwks(() => ({ keys: [jwk] })),
    privateKeyPem: () => privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
  };
}

/** The legacy `X-Webhook-Signature`: `sha256=<base64 HMAC-SHA256 of the body>`. */
export function signHmac(body: string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("base64")}`;
}

/** Serves whatever `document()` returns at `/.well-known/jwks.json` on 127.0.0.1, on a free port. */
export async function serveJwks(document: () => Jwks): Promise<ServedJwks> {
  let hits = 0;
  const server = createServer((request, response) => {
    hits += 1;
    if (request.method !== "GET" || request.url !== "/.well-known/jwks.json") {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(document()));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("JWKS server has no TCP address");
  return {
    url: `http://127.0.0.1:${address.port}/.well-known/jwks.json`,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

const persistedKeySchema = z.object({ kid: z.string().min(1), privateKeyPem: z.string().min(1) });

/** Where the development signing key lives inside `directory`. */
export const DEV_KEY_FILE = "prelude-dev-signing-key.json";

/**
 * The local pipeline's development signer: loads `directory/prelude-dev-signing-key.json`, or creates a
 * key and saves it there (owner-only permissions) on first start. A development key, never a real one.
 */
export async function loadOrCreatePreludeSigner(directory: string): Promise<PreludeSigner> {
  const file = join(directory, DEV_KEY_FILE);
  let text: string | undefined;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  if (text !== undefined) {
    const saved = persistedKeySchema.safeParse(parseJsonOrUndefined(text));
    if (!saved.success) throw new Error(`${file} is not a saved signing key; delete it to make a new one`);
    return createPreludeSigner(saved.data);
  }
  const signer = createPreludeSigner();
  await mkdir(directory, { recursive: true });
  const saved = `${JSON.stringify({ kid: signer.kid, privateKeyPem: signer.privateKeyPem() }, null, 2)}\n`;
  try {
    await writeFile(file, saved, { mode: 0o600, flag: "wx" });
  } catch (error) {
    // Another process created the key first: use that one, so every part of the pipeline agrees.
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return loadOrCreatePreludeSigner(directory);
    throw error;
  }
  return signer;
}

function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url) of an RSA public key. */
function thumbprintOf(jwk: { n: string; e: string }): string {
  const canonical = JSON.stringify({ e: jwk.e, kty: "RSA", n: jwk.n });
  return createHash("sha256").update(canonical).digest("base64url");
}
