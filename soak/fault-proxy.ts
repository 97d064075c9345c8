import {
  Agent,
  createServer,
  request as forward,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { Socket } from "node:net";
import type { SeededRandom } from "./seeded-random.js";

/**
 * What the proxy can do to one request: answer a throttling error or a 500 without forwarding, answer
 * late, or drop the connection before forwarding or after (the service did the work; the client sees
 * an error: the nastiest one).
 */
export const FAULT_KINDS = ["throttle", "server-error", "slow", "drop-before", "drop-after"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Every injected error says so, so the handler side can tell an injected fault from a real one. */
export const FAULT_MARKER = "[soak fault]";

/**
 * The wire protocol decides what an error looks like: DynamoDB speaks JSON 1.0 (`__type`), and
 * `@aws-sdk/client-sns` speaks the AWS query protocol (XML `ErrorResponse`, as local/sns-stand-in.ts answers).
 */
export type ProxiedService = "dynamodb" | "sns";

export interface FaultMode {
  /** Probability that a request gets a fault. */
  readonly rate: number;
  /** Relative weight of each kind; a kind left out is never injected. */
  readonly weights: Readonly<Partial<Record<FaultKind, number>>>;
}

export const DEFAULT_FAULT_WEIGHTS: Readonly<Record<FaultKind, number>> = {
  throttle: 30,
  "server-error": 20,
  slow: 20,
  "drop-before": 15,
  "drop-after": 15,
};
/** During an outage every request fails; a slow answer would still succeed, so it is left out. */
export const OUTAGE_WEIGHTS: Readonly<Partial<Record<FaultKind, number>>> = {
  throttle: 40,
  "server-error": 25,
  "drop-before": 20,
  "drop-after": 15,
};

/** How long the proxy remembers an attempt: longer than any invocation that may ask about it. */
export const ATTEMPTS_KEPT_MS = 5 * 60_000;

export interface FaultProxyOptions {
  readonly service: ProxiedService;
  readonly random: SeededRandom;
  readonly mode: FaultMode;
  /**
   * How late a slow answer comes, in ms: below the SDK clients' request timeout (`AWS_HTTP_TIMEOUTS`),
   * so a slow answer still succeeds. A hung connection, which the request timeout turns into a retried
   * `TimeoutError`, costs seconds per fault, too many for the soak; test/processor/sdk-timeouts.test.ts
   * covers it.
   */
  readonly slowMs?: readonly [number, number];
}

export interface FaultProxyStats {
  readonly requests: number;
  readonly injected: Readonly<Record<FaultKind, number>>;
  /** The longest the service itself took to answer a forwarded request, in ms. */
  readonly slowestUpstreamMs: number;
}

/**
 * One SDK attempt as the proxy saw it, found by the headers the SDK's retry middleware puts on every
 * attempt (`amz-sdk-invocation-id`, `amz-sdk-request: attempt=N; max=M`): when it arrived, how long the
 * service itself took, and when its answer went back. Set side by side with the client's own timing of
 * the attempt, it says where a timed-out attempt's time went.
 */
export interface ProxiedAttempt {
  readonly receivedAt: number;
  /** The fault injected into it, if any. */
  readonly fault?: FaultKind;
  /** When it was forwarded to the service, and how long the service took (so far, if it has not answered). */
  readonly forwardedAt?: number;
  readonly serviceMs?: number;
  /** When the proxy wrote its answer (or reset the connection). */
  readonly answeredAt?: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The key of one SDK attempt, from its request headers; undefined for a request no SDK retry loop sent. */
export function attemptKey(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): string | undefined {
  const invocation = headers["amz-sdk-invocation-id"];
  const attempt = /attempt=(\d+)/.exec(String(headers["amz-sdk-request"] ?? ""))?.[1];
  return typeof invocation === "string" && attempt !== undefined ? `${invocation} ${attempt}` : undefined;
}

export interface FaultProxy {
  readonly url: string;
  /** Where requests go; set before the first request arrives. */
  forwardTo(target: string): void;
  setMode(mode: FaultMode): void;
  stats(): FaultProxyStats;
  /** What the proxy saw of one SDK attempt (see `attemptKey`), kept for `ATTEMPTS_KEPT_MS`. */
  attempt(key: string): ProxiedAttempt | undefined;
  close(): Promise<void>;
}

/** An HTTP proxy on 127.0.0.1 that forwards to one service and injects faults at the configured rate. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  let target: URL | undefined;
  let mode = options.mode;
  let requests = 0;
  const injected = Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>;
  const [slowMin, slowMax] = options.slowMs ?? [300, 1_200];
  // No socket limit of its own: the clients' pools are the limit, as against the real service. A cap here
  // queued requests of five concurrent invocations inside the proxy until their SDK request timeout.
  const agent = new Agent({ keepAlive: true });
  let slowestUpstreamMs = 0;
  // Each SDK attempt seen, by `attemptKey`, in arrival order (a Map keeps it), pruned as it ages.
  const seen = new Map<string, Mutable<ProxiedAttempt>>();
  const forget = () => {
    const before = Date.now() - ATTEMPTS_KEPT_MS;
    for (const [key, attempt] of seen) {
      if (attempt.receivedAt >= before) break;
      seen.delete(key);
    }
  };
  const sockets = new Set<Socket>();

  const server = createServer((incoming, outgoing) => {
    handle(incoming, outgoing).catch((error: unknown) => {
      if (!outgoing.headersSent) {
        outgoing.writeHead(502, { "content-type": "text/plain" }).end(`proxy: ${(error as Error).message}`);
      } else outgoing.destroy();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  function chooseFault(): FaultKind | undefined {
    if (mode.rate <= 0 || options.random.next() >= mode.rate) return undefined;
    const kinds = FAULT_KINDS.filter((kind) => (mode.weights[kind] ?? 0) > 0);
    const total = kinds.reduce((sum, kind) => sum + (mode.weights[kind] ?? 0), 0);
    let roll = options.random.next() * total;
    for (const kind of kinds) {
      roll -= mode.weights[kind] ?? 0;
      if (roll < 0) return kind;
    }
    return kinds.at(-1);
  }

  async function handle(incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> {
    const key = attemptKey(incoming.headers);
    const attempt: Mutable<ProxiedAttempt> = { receivedAt: Date.now() };
    if (key !== undefined) {
      if (seen.size % 1_000 === 0) forget();
      seen.set(key, attempt);
    }
    const answered = () => {
      attempt.answeredAt = Date.now();
    };
    const body = await readAll(incoming);
    requests += 1;
    const fault = chooseFault();
    if (fault !== undefined) {
      injected[fault] += 1;
      attempt.fault = fault;
    }
    if (fault === "drop-before") return drop(incoming, answered);
    if (fault === "throttle" || fault === "server-error")
      return answerError(outgoing, options.service, fault, answered);

    const forwardedAt = Date.now();
    attempt.forwardedAt = forwardedAt;
    let answer: Awaited<ReturnType<typeof send>>;
    try {
      answer = await send(incoming, body);
    } finally {
      attempt.serviceMs = Date.now() - forwardedAt;
      slowestUpstreamMs = Math.max(slowestUpstreamMs, attempt.serviceMs);
    }
    if (fault === "drop-after") return drop(incoming, answered);
    if (fault === "slow") await sleep(options.random.int(slowMin, slowMax));
    const headers = { ...answer.headers };
    delete headers["transfer-encoding"];
    delete headers.connection;
    outgoing.writeHead(answer.status, { ...headers, "content-length": String(answer.body.length) });
    outgoing.end(answer.body, answered);
  }

  function send(
    incoming: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: IncomingMessage["headers"]; body: Buffer }> {
    if (target === undefined) throw new Error("the fault proxy has no target yet");
    const to = target;
    return new Promise((resolve, reject) => {
      const upstream = forward(
        {
          host: to.hostname,
          port: to.port,
          method: incoming.method,
          path: incoming.url,
          headers: { ...incoming.headers, host: to.host, "content-length": String(body.length) },
          agent,
        },
        (response) => {
          readAll(response).then(
            (answer) =>
              resolve({ status: response.statusCode ?? 502, headers: response.headers, body: answer }),
            reject,
          );
        },
      );
      upstream.on("error", reject);
      upstream.end(body);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the fault proxy has no TCP address");

  return {
    url: `http://127.0.0.1:${address.port}`,
    forwardTo(url) {
      target = new URL(url);
    },
    setMode(next) {
      mode = next;
    },
    stats: () => ({ requests, injected: { ...injected }, slowestUpstreamMs }),
    attempt(key) {
      const attempt = seen.get(key);
      if (attempt === undefined) return undefined;
      return attempt.forwardedAt !== undefined && attempt.serviceMs === undefined
        ? { ...attempt, serviceMs: Date.now() - attempt.forwardedAt }
        : { ...attempt };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A reset, not a clean close: the client sees ECONNRESET, as when a connection dies mid-request. */
function drop(incoming: IncomingMessage, dropped: () => void): void {
  incoming.socket.resetAndDestroy();
  dropped();
}

function answerError(
  outgoing: ServerResponse,
  service: ProxiedService,
  fault: "throttle" | "server-error",
  answered: () => void,
): void {
  if (service === "dynamodb") {
    const [status, type, message] =
      fault === "throttle"
        ? [
            400,
            "ProvisionedThroughputExceededException",
            "The level of configured provisioned throughput for the table was exceeded",
          ]
        : [500, "InternalServerError", "Internal server error"];
    outgoing
      .writeHead(status, { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": requestIdOf() })
      .end(
        JSON.stringify({
          __type: `com.amazonaws.dynamodb.v20120810#${type}`,
          message: `${FAULT_MARKER} ${message}`,
        }),
        answered,
      );
    return;
  }
  const [status, kind, code, message] =
    fault === "throttle"
      ? [400, "Sender", "Throttling", "Rate exceeded"]
      : [500, "Receiver", "InternalError", "Internal error"];
  outgoing
    .writeHead(status, { "content-type": "text/xml" })
    .end(
      `<?xml version="1.0"?>\n<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${kind}</Type>` +
        `<Code>${code}</Code><Message>${FAULT_MARKER} ${message}</Message></Error><RequestId>${requestIdOf()}</RequestId></ErrorResponse>`,
      answered,
    );
}

let requestSequence = 0;
function requestIdOf(): string {
  requestSequence += 1;
  return `soak-fault-${requestSequence}`;
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
