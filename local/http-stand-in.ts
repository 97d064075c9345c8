import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

/** What a stand-in answers on demand instead of processing a request: a status, for the next `times` requests. */
export interface Misbehaviour {
  readonly status: number;
  /** How many requests get this answer before the stand-in behaves again. @default 1 */
  readonly times?: number;
  /** The `Retry-After` header, in seconds (for 429 and 503). */
  readonly retryAfterSeconds?: number;
}

/** What every destination stand-in offers besides its own records: failures on demand, and stopping. */
export interface StandInControls {
  /** Answers the next requests with a status instead of processing them (429, 500, 400 on demand). */
  misbehave(misbehaviour: Misbehaviour): void;
  /** Drops the misbehaviours still queued: the next request is processed. */
  recover(): void;
  close(): Promise<void>;
}

/** Queued misbehaviours, consumed one request at a time. */
export class MisbehaviourQueue {
  private readonly pending: { status: number; left: number; retryAfterSeconds?: number }[] = [];

  add(misbehaviour: Misbehaviour): void {
    const { status, times = 1, retryAfterSeconds } = misbehaviour;
    if (!Number.isInteger(status) || status < 100 || status > 599)
      throw new Error(`not an HTTP status: ${status}`);
    this.pending.push({
      status,
      left: times,
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    });
  }

  /** The answer to give this request instead of the real one, if any. */
  take(): { status: number; retryAfterSeconds?: number } | undefined {
    const next = this.pending[0];
    if (next === undefined) return undefined;
    next.left -= 1;
    if (next.left <= 0) this.pending.shift();
    return next;
  }

  clear(): void {
    this.pending.length = 0;
  }
}

/** Reads a request body whole, refusing one over `maxBytes` (answered 413 by the caller). */
export function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer | "too large"> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    request.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= maxBytes) chunks.push(chunk);
    });
    request.on("end", () => resolve(bytes > maxBytes ? "too large" : Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

/** Listens on a free loopback port; `close` drops open connections too. */
export async function listenOnLoopback(
  handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: (error as Error).message });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the stand-in has no TCP address");
  return {
    server,
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * `POST /stand-in/misbehave` with `{"status": 429, "times": 2, "retryAfterSeconds": 1}` queues answers on
 * demand, so a person running `npm start` can try a destination outage with curl. True when handled.
 */
export async function handleControl(
  request: IncomingMessage,
  response: ServerResponse,
  queue: MisbehaviourQueue,
): Promise<boolean> {
  if (request.url !== "/stand-in/misbehave") return false;
  const body = await readBody(request, 4_096);
  try {
    if (body === "too large") throw new Error("too large");
    queue.add(JSON.parse(body.toString("utf8")) as Misbehaviour);
    sendJson(response, 200, { queued: true });
  } catch (error) {
    sendJson(response, 400, {
      error: `expected {"status": <n>, "times"?: <n>, "retryAfterSeconds"?: <n>}: ${(error as Error).message}`,
    });
  }
  return true;
}
