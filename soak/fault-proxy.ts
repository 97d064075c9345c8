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

/** A forwarded request the service itself took long to answer (or had not answered yet). */
export interface SlowUpstream {
  /** The service's operation (DynamoDB's `X-Amz-Target`, without its prefix). */
  readonly operation: string;
  readonly forwardedAt: number;
  /** How long the service took, or has taken so far. */
  readonly ms: number;
}

export interface FaultProxy {
  readonly url: string;
  /** Where requests go; set before the first request arrives. */
  forwardTo(target: string): void;
  setMode(mode: FaultMode): void;
  stats(): FaultProxyStats;
  /**
   * The requests forwarded between `from` and `to` that the service itself left unanswered for at least
   * `thresholdMs`: the service's own slowness (DynamoDB Local's, on a loaded machine), not an injected fault.
   */
  slowUpstream(thresholdMs: number, from: number, to: number): SlowUpstream[];
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
  // Forwarded requests still unanswered, and those answered late, by when they were forwarded.
  const pending = new Set<{ operation: string; forwardedAt: number }>();
  const late: SlowUpstream[] = [];
  const LATE_MS = 1_000;
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
    const body = await readAll(incoming);
    requests += 1;
    const fault = chooseFault();
    if (fault !== undefined) injected[fault] += 1;
    if (fault === "drop-before") return drop(incoming);
    if (fault === "throttle" || fault === "server-error")
      return answerError(outgoing, options.service, fault);

    const forwarded = {
      operation: String(incoming.headers["x-amz-target"] ?? incoming.method ?? "").replace(/^.*\./, ""),
      forwardedAt: Date.now(),
    };
    pending.add(forwarded);
    let answer: Awaited<ReturnType<typeof send>>;
    try {
      answer = await send(incoming, body);
    } finally {
      pending.delete(forwarded);
      const ms = Date.now() - forwarded.forwardedAt;
      slowestUpstreamMs = Math.max(slowestUpstreamMs, ms);
      if (ms >= LATE_MS) late.push({ ...forwarded, ms });
    }
    if (fault === "drop-after") return drop(incoming);
    if (fault === "slow") await sleep(options.random.int(slowMin, slowMax));
    const headers = { ...answer.headers };
    delete headers["transfer-encoding"];
    delete headers.connection;
    outgoing.writeHead(answer.status, { ...headers, "content-length": String(answer.body.length) });
    outgoing.end(answer.body);
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
    slowUpstream(thresholdMs, from, to) {
      const now = Date.now();
      return [
        ...late,
        ...[...pending].map((request) => ({ ...request, ms: now - request.forwardedAt })),
      ].filter(
        (request) => request.ms >= thresholdMs && request.forwardedAt >= from && request.forwardedAt <= to,
      );
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
function drop(incoming: IncomingMessage): void {
  incoming.socket.resetAndDestroy();
}

function answerError(
  outgoing: ServerResponse,
  service: ProxiedService,
  fault: "throttle" | "server-error",
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
