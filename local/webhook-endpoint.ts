import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { ChallengeAnswer, ChallengeQuery } from "../lambdas/challenge/answer-challenge.js";
import {
  decodeSendMessageParameters,
  renderRequestTemplate,
  type SendMessageParameters,
} from "./api-gateway-vtl.js";
import type { JsonSchema, WebhookPostSettings } from "./stack-settings.js";

/** The port the webhook endpoint was asked to listen on is taken. */
export class PortInUseError extends Error {
  override name = "PortInUseError";
}

/** A taken port becomes a PortInUseError that says what to do; any other listen error is left as is. */
export function explainListenError(error: NodeJS.ErrnoException, port: number): Error {
  return error.code === "EADDRINUSE"
    ? new PortInUseError(
        `port ${port} is already in use: stop what listens there, or start with --port <another port>`,
      )
    : error;
}

export interface WebhookEndpointOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** The path Prelude posts to, e.g. `/webhook`. */
  readonly path: string;
  /** The stack's POST method: validation, request template, integration responses. */
  readonly post: WebhookPostSettings;
  /** Sends one message to the queue; a rejection carries SQS's HTTP status in `$metadata.httpStatusCode`. */
  readonly sendMessage: (parameters: SendMessageParameters) => Promise<void>;
  /** Answers the activation GET (the challenge function's domain code). */
  readonly answerChallenge: (query: ChallengeQuery) => ChallengeAnswer;
  readonly log: (line: string) => void;
}

export interface WebhookEndpoint {
  readonly url: string;
  close(): Promise<void>;
}

// API Gateway's payload limit for REST APIs.
const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** API Gateway's default gateway responses, which the stack does not customise. */
const GATEWAY = {
  missingToken: { status: 403, message: "Missing Authentication Token" },
  invalidBody: { status: 400, message: "Invalid request body" },
  unsupportedMediaType: { status: 415, message: "Unsupported Media Type" },
  tooLarge: { status: 413, message: "Request Too Long" },
  internal: { status: 500, message: "Internal server error" },
} as const;

/**
 * The API Gateway stage in front of the queue, on loopback: POST runs the stack's method request
 * validation, evaluates its very request template, sends the resulting `SendMessage` to the SQS
 * stand-in and answers with the integration response that SQS's status selects (200 exactly on
 * success). GET answers the activation challenge; any other method or path gets API Gateway's 403.
 */
export async function startWebhookEndpoint(options: WebhookEndpointOptions): Promise<WebhookEndpoint> {
  const server = createServer((request, response) => {
    const requestId = randomUUID();
    const requestTimeEpoch = Date.now();
    handle(request, requestId, requestTimeEpoch)
      .catch((error: unknown) => {
        options.log(
          `${request.method} ${options.path} failed inside the local endpoint: ${(error as Error).message}`,
        );
        return {
          status: GATEWAY.internal.status,
          body: message(GATEWAY.internal.message),
          note: "internal error",
        };
      })
      .then(({ status, body, note }) => {
        respond(response, status, body, requestId);
        const path = new URL(request.url ?? "/", "http://localhost").pathname;
        options.log(`${request.method} ${path} → ${status}  ${note}`);
      });
  });

  async function handle(
    request: IncomingMessage,
    requestId: string,
    requestTimeEpoch: number,
  ): Promise<{ status: number; body: string; note: string }> {
    const url = new URL(request.url ?? "/", "http://localhost");
    const gateway = (response: { status: number; message: string }, note: string) => ({
      status: response.status,
      body: message(response.message),
      note,
    });
    if (url.pathname !== options.path || (request.method !== "POST" && request.method !== "GET")) {
      request.resume();
      return gateway(GATEWAY.missingToken, `no ${request.method} method on ${url.pathname}`);
    }
    const query = Object.fromEntries(url.searchParams);
    if (request.method === "GET") {
      request.resume();
      const answer = options.answerChallenge(query);
      // Never the token or the query string: only whether the challenge was answered.
      const note =
        answer.statusCode === 200 ? "activation challenge answered" : `challenge refused (${answer.refusal})`;
      return { status: answer.statusCode, body: answer.body, note };
    }

    const body = await readBody(request);
    if (body === undefined) return gateway(GATEWAY.tooLarge, "body over 10 MB");
    const headers = headersOf(request);
    const contentType = requestContentType(headers);
    const post = options.post;

    if (post.validateParameters) {
      const missing = [
        ...post.requiredHeaders.filter((name) => headers[name.toLowerCase()] === undefined),
        ...post.requiredQueryParameters.filter((name) => query[name] === undefined),
      ];
      if (missing.length > 0) {
        const text = `Missing required request parameters: [${missing.join(", ")}]`;
        return { status: 400, body: message(text), note: text };
      }
    }
    const model = post.bodyModels[contentType];
    if (post.validateBody && model !== undefined && !matchesSchema(body, model)) {
      return gateway(GATEWAY.invalidBody, "body does not match the method's model");
    }
    const template = post.requestTemplates[contentType];
    // The integration passes nothing through: a content type without a template gets 415.
    if (template === undefined) return gateway(GATEWAY.unsupportedMediaType, `content type ${contentType}`);

    const context = { requestId, requestTimeEpoch };
    let parameters: SendMessageParameters;
    try {
      parameters = decodeSendMessageParameters(
        renderRequestTemplate(template, { body, headers, query, context }),
      );
    } catch (error) {
      options.log(
        `the stack's request template produced a SendMessage SQS would refuse: ${(error as Error).message}`,
      );
      return integrationResponse(400, context, "the request template's SendMessage was refused");
    }
    let sqsStatus = 200;
    try {
      await options.sendMessage(parameters);
    } catch (error) {
      sqsStatus = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 500;
      options.log(`SQS refused the message (${sqsStatus}): ${(error as Error).message}`);
    }
    return integrationResponse(sqsStatus, context, sqsStatus === 200 ? `queued, request ${requestId}` : "");
  }

  /** The integration response whose selection pattern matches SQS's status, else the default one. */
  function integrationResponse(sqsStatus: number, context: Record<string, unknown>, note: string) {
    const responses = options.post.integrationResponses;
    const selected =
      responses.find(
        (response) =>
          response.selectionPattern !== undefined &&
          new RegExp(`^(?:${response.selectionPattern})$`).test(String(sqsStatus)),
      ) ?? responses.find((response) => response.selectionPattern === undefined);
    if (selected === undefined) {
      return { status: GATEWAY.internal.status, body: message(GATEWAY.internal.message), note };
    }
    const body =
      selected.responseTemplate === undefined
        ? ""
        : renderRequestTemplate(selected.responseTemplate, { body: "", context });
    return { status: selected.statusCode, body, note: note || `SQS answered ${sqsStatus}` };
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => reject(explainListenError(error, options.port)));
    server.listen(options.port, "127.0.0.1", resolve);
  });
  const address = server.address();
  if (address === null || typeof address === "string")
    throw new Error("the webhook endpoint has no TCP address");
  return {
    url: `http://127.0.0.1:${address.port}${options.path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Whether the body is JSON that satisfies the model, for the keywords the stack's models use
 * (`readStackSettings` refuses a model with any other keyword).
 */
export function matchesSchema(body: string, schema: JsonSchema): boolean {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return false;
  }
  if (schema.type !== undefined) {
    const types = typeof schema.type === "string" ? [schema.type] : schema.type;
    if (!types.some((type) => isOfType(value, type))) return false;
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const count = Object.keys(value).length;
    if (schema.minProperties !== undefined && count < schema.minProperties) return false;
    if (schema.maxProperties !== undefined && count > schema.maxProperties) return false;
    if (schema.required?.some((name) => !(name in value))) return false;
  }
  return true;
}

function isOfType(value: unknown, type: string): boolean {
  switch (type) {
    case "object":
      return value !== null && typeof value === "object" && !Array.isArray(value);
    case "array":
      return Array.isArray(value);
    case "integer":
      return Number.isInteger(value);
    case "null":
      return value === null;
    default:
      return typeof value === type;
  }
}

/**
 * The key API Gateway looks the request template and body model up by. Its documentation does not
 * say whether parameters or letter case take part, so the local endpoint takes the strict reading,
 * the header exactly as sent: what passes here passes in AWS under either reading. No header
 * counts as `application/json` (developerguide/integration-passthrough-behaviors.html).
 */
export function requestContentType(headers: Readonly<Record<string, string>>): string {
  return headers["content-type"] ?? "application/json";
}

function headersOf(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  return headers;
}

/** The raw body as text, or undefined past API Gateway's payload limit. */
function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    request.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on("end", () =>
      resolve(bytes > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString("utf8")),
    );
    request.on("error", reject);
  });
}

function message(text: string): string {
  return JSON.stringify({ message: text });
}

function respond(response: ServerResponse, status: number, body: string, requestId: string): void {
  response.writeHead(status, { "content-type": "application/json", "x-amzn-requestid": requestId }).end(body);
}
