import { createServer } from "node:http";
import type { PreludeSigner } from "../local/prelude-signer.js";

/** What the JWKS endpoint answers while it is down: a status only this outage produces in a run. */
export const JWKS_OUTAGE_STATUS = 503;

export interface JwksOutageStats {
  readonly requests: number;
  /** Fetches answered 503 during an outage. */
  readonly refused: number;
  /** Whether a key rotation happened: the JWKS served a second key and the app signed with it. */
  readonly rotated: boolean;
}

export interface RotatingJwks {
  readonly url: string;
  /** The key the app signs with now: the first key, or the new one once rotated. */
  current(): PreludeSigner;
  /**
   * Prelude rotates the app's key: the JWKS publishes the new key beside the old one, and the app signs
   * with the new one from now on. A verifier that has cached the old JWKS must fetch it again.
   */
  rotate(): void;
  /** The endpoint answers 503 to every fetch while down. */
  setDown(down: boolean): void;
  /** Whether `message` is a signature check that found this JWKS down during an outage. */
  explains(message: string): boolean;
  stats(): JwksOutageStats;
  close(): Promise<void>;
}

/**
 * One Prelude app's JWKS endpoint on 127.0.0.1 that can rotate the app's key and go down: what the soak
 * needs to make the processor meet an unknown key id while the JWKS cannot be fetched.
 */
export async function startRotatingJwks(first: PreludeSigner, next: PreludeSigner): Promise<RotatingJwks> {
  let rotated = false;
  let down = false;
  let requests = 0;
  let refused = 0;
  const server = createServer((request, response) => {
    requests += 1;
    if (request.method !== "GET" || request.url !== "/.well-known/jwks.json") {
      response.writeHead(404).end();
      return;
    }
    if (down) {
      refused += 1;
      response.writeHead(JWKS_OUTAGE_STATUS, { "content-type": "text/plain" }).end("soak: JWKS outage");
      return;
    }
    const keys = rotated ? [...first.jwks().keys, ...next.jwks().keys] : first.jwks().keys;
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the JWKS server has no TCP address");
  const url = `http://127.0.0.1:${address.port}/.well-known/jwks.json`;

  return {
    url,
    current: () => (rotated ? next : first),
    rotate() {
      rotated = true;
    },
    setDown(value) {
      down = value;
    },
    // The JWKS cache words a refused fetch as "HTTP <status> from <url>"; nothing else answers 503 here.
    explains: (message) => refused > 0 && message.includes(`HTTP ${JWKS_OUTAGE_STATUS} from ${url}`),
    stats: () => ({ requests, refused, rotated }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
