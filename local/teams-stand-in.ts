import type { IncomingMessage, ServerResponse } from "node:http";
import {
  handleControl,
  listenOnLoopback,
  MisbehaviourQueue,
  readBody,
  type StandInControls,
} from "./http-stand-in.js";
import { parseJsonObject } from "./json-object.js";

/**
 * A loopback stand-in for a Teams Workflows webhook ("When a Teams webhook request is received"). It answers
 * 202 Accepted to a message whose attachments are Adaptive Cards, 404 for a workflow that does not exist, 413
 * over Teams' ~28 KB message limit, and 429 (with `Retry-After`), 500 or 400 on demand. It is stricter than the
 * real trigger on one point: Workflows accepts any JSON with 202 and a bad card then fails the flow run
 * ("Property 'type' must be 'AdaptiveCard'", "'attachments' is of type 'Null'"), visible only in the flow's
 * run history; the stand-in refuses such a body with 400 at once, so a test sees it.
 */

export interface TeamsPost {
  readonly receivedAt: string;
  readonly workflow: string;
  readonly cards: readonly Record<string, unknown>[];
}

export interface TeamsStandIn extends StandInControls {
  /** The URL of a workflow that exists on this stand-in, shaped like a Workflows trigger URL. */
  workflowUrl(name?: string): string;
  readonly posts: readonly TeamsPost[];
}

export interface TeamsStandInOptions {
  /** Workflows that exist; a post to any other answers 404. */
  readonly workflows?: readonly string[];
  /** A line for the terminal about each message the stand-in accepted or refused. */
  readonly log?: (line: string) => void;
}

export const LOCAL_TEAMS_WORKFLOW = "hookwatch-local";

// "When an action posts a message, the message size limit is approximately 28 KB" (Teams connector docs).
const MAX_BODY_BYTES = 28 * 1024;
const CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive";
// hookwatch sends 1.2. Versions past 1.5 are refused, so that sending one is a deliberate, checked change.
const SUPPORTED_VERSIONS = new Set(["1.0", "1.1", "1.2", "1.3", "1.4", "1.5"]);
const ELEMENT_TYPES = new Set([
  "TextBlock",
  "RichTextBlock",
  "Container",
  "ColumnSet",
  "Column",
  "FactSet",
  "Image",
  "ImageSet",
  "ActionSet",
  "Table",
]);
// Webhook-posted cards support Action.OpenUrl, Action.ShowCard and Action.ToggleVisibility, not Action.Submit.
const ACTION_TYPES = new Set(["Action.OpenUrl", "Action.ShowCard", "Action.ToggleVisibility"]);
const WORKFLOW_PATH = /^\/workflows\/([^/]+)\/triggers\/manual\/paths\/invoke$/;
const CODES: Readonly<Record<number, string>> = {
  400: "InvalidRequestContent",
  404: "WorkflowNotFound",
  429: "TooManyRequests",
  500: "InternalServerError",
  503: "ServiceUnavailable",
};

class TeamsRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startTeamsStandIn(options: TeamsStandInOptions = {}): Promise<TeamsStandIn> {
  const workflows = new Set(options.workflows ?? [LOCAL_TEAMS_WORKFLOW]);
  const log = options.log ?? (() => {});
  const posts: TeamsPost[] = [];
  const misbehaviours = new MisbehaviourQueue();

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method === "POST" && (await handleControl(request, response, misbehaviours))) return;
    const body = await readBody(request, MAX_BODY_BYTES);
    const forced = misbehaviours.take();
    if (forced !== undefined) {
      log(`Teams stand-in: answered ${forced.status} on demand`);
      const code = CODES[forced.status] ?? "Error";
      const headers: Record<string, string> =
        forced.retryAfterSeconds === undefined ? {} : { "retry-after": String(forced.retryAfterSeconds) };
      refuse(response, new TeamsRefusal(forced.status, code, "answered on demand"), headers);
      return;
    }
    try {
      const url = new URL(request.url ?? "/", "http://stand-in");
      const workflow = WORKFLOW_PATH.exec(url.pathname)?.[1];
      if (request.method !== "POST" || workflow === undefined || !workflows.has(workflow)) {
        throw new TeamsRefusal(404, "WorkflowNotFound", `no workflow at ${url.pathname}`);
      }
      if (body === "too large") {
        throw new TeamsRefusal(
          413,
          "RequestEntityTooLarge",
          `Request Entity too large: over ${MAX_BODY_BYTES} bytes`,
        );
      }
      const post = readTeamsPost(workflow, request.headers["content-type"] ?? "", body.toString("utf8"));
      posts.push(post);
      log(`Teams stand-in: posted a card to workflow ${workflow}`);
      response.writeHead(202, { "content-length": "0", connection: "close" }).end();
    } catch (error) {
      if (!(error instanceof TeamsRefusal)) throw error;
      log(`Teams stand-in: refused a message (${error.status}): ${error.message}`);
      refuse(response, error);
    }
  }

  const server = await listenOnLoopback(handle);
  return {
    workflowUrl: (name = LOCAL_TEAMS_WORKFLOW) =>
      `${server.url}/workflows/${name}/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=local`,
    posts,
    misbehave: (misbehaviour) => misbehaviours.add(misbehaviour),
    recover: () => misbehaviours.clear(),
    close: server.close,
  };
}

/** Power Automate's error shape; each answer closes its connection, so no client reuses a timed-out socket. */
function refuse(response: ServerResponse, error: TeamsRefusal, headers: Record<string, string> = {}): void {
  response
    .writeHead(error.status, { "content-type": "application/json", connection: "close", ...headers })
    .end(JSON.stringify({ error: { code: error.code, message: error.message } }));
}

function readTeamsPost(workflow: string, contentType: string, body: string): TeamsPost {
  const invalid = (message: string) => new TeamsRefusal(400, "InvalidRequestContent", message);
  if (!contentType.startsWith("application/json"))
    throw invalid(`content-type ${contentType || "(none)"} is not JSON`);
  const message = parseJsonObject(body);
  if (message === undefined) throw invalid("The request content is not a JSON object.");
  if (message.type !== "message") throw invalid("'type' must be 'message'");
  const { attachments } = message;
  if (!Array.isArray(attachments) || attachments.length === 0)
    throw invalid("'attachments' must be a non-empty array");
  const cards = attachments.map((attachment: unknown, index) => {
    const at = `attachments[${index}]`;
    const fields = (attachment ?? {}) as Record<string, unknown>;
    if (fields.contentType !== CARD_CONTENT_TYPE)
      throw invalid(`${at}.contentType must be ${CARD_CONTENT_TYPE}`);
    return checkCard(fields.content, `${at}.content`, invalid);
  });
  return { receivedAt: new Date().toISOString(), workflow, cards };
}

function checkCard(
  value: unknown,
  at: string,
  invalid: (message: string) => TeamsRefusal,
): Record<string, unknown> {
  const card = (value ?? {}) as Record<string, unknown>;
  if (card.type !== "AdaptiveCard") throw invalid(`${at}: Property 'type' must be 'AdaptiveCard'`);
  if (typeof card.version !== "string" || !SUPPORTED_VERSIONS.has(card.version)) {
    throw invalid(`${at}.version ${String(card.version)} is not one this stand-in accepts (1.0 to 1.5)`);
  }
  if (!Array.isArray(card.body)) throw invalid(`${at}.body must be an array`);
  for (const [index, element] of (card.body as unknown[]).entries())
    checkElement(element, `${at}.body[${index}]`, invalid);
  if (card.actions !== undefined) checkActions(card.actions, `${at}.actions`, invalid);
  return card;
}

function checkElement(value: unknown, at: string, invalid: (message: string) => TeamsRefusal): void {
  const element = (value ?? {}) as Record<string, unknown>;
  if (typeof element.type !== "string" || !ELEMENT_TYPES.has(element.type)) {
    throw invalid(`${at}: unknown element type ${String(element.type)}`);
  }
  if (element.type === "TextBlock" && typeof element.text !== "string")
    throw invalid(`${at}.text must be a string`);
  if (element.type === "RichTextBlock") {
    if (!Array.isArray(element.inlines)) throw invalid(`${at}.inlines must be an array`);
    for (const inline of element.inlines as unknown[]) {
      const run = (inline ?? {}) as Record<string, unknown>;
      if (typeof inline !== "string" && (run.type !== "TextRun" || typeof run.text !== "string")) {
        throw invalid(`${at}.inlines: each inline must be a TextRun with text`);
      }
    }
  }
  for (const children of [element.items, element.columns]) {
    if (children === undefined) continue;
    if (!Array.isArray(children)) throw invalid(`${at}: items and columns must be arrays`);
    for (const [index, child] of (children as unknown[]).entries())
      checkElement(child, `${at}[${index}]`, invalid);
  }
  if (element.type === "ActionSet") checkActions(element.actions, `${at}.actions`, invalid);
}

function checkActions(value: unknown, at: string, invalid: (message: string) => TeamsRefusal): void {
  if (!Array.isArray(value)) throw invalid(`${at} must be an array`);
  value.forEach((action: unknown, index) => {
    const fields = (action ?? {}) as Record<string, unknown>;
    if (typeof fields.type !== "string" || !ACTION_TYPES.has(fields.type)) {
      throw invalid(`${at}[${index}]: ${String(fields.type)} is not supported in a card posted by a webhook`);
    }
    if (
      fields.type === "Action.OpenUrl" &&
      (typeof fields.url !== "string" || !/^https?:\/\//.test(fields.url))
    ) {
      throw invalid(`${at}[${index}].url must be an http(s) URL`);
    }
  });
}
