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
 * A loopback stand-in for Slack incoming webhooks. It answers as Slack does (200 `ok`; 400 `invalid_payload`,
 * `no_text` or `invalid_blocks`; 404 `no_service` for a webhook that does not exist; 429 `rate_limited` with
 * `Retry-After`, 500 `rollup_error` or any status on demand) and checks each message against Block Kit's
 * documented limits, with its own copy of them so a wrong limit in the message builder cannot hide here.
 * Slack's body is only the error code; the stand-in adds the detail in an `x-stand-in-reason` header.
 */

export interface SlackPost {
  readonly receivedAt: string;
  /** Which webhook: the path after `/services/`. */
  readonly webhook: string;
  readonly text?: string;
  readonly blocks: readonly Record<string, unknown>[];
}

export interface SlackStandIn extends StandInControls {
  /** The URL of an incoming webhook that exists on this stand-in. */
  webhookUrl(name?: string): string;
  readonly posts: readonly SlackPost[];
}

export interface SlackStandInOptions {
  /** Webhooks that exist (`T…/B…/…`); a post to any other answers 404 `no_service`. */
  readonly webhooks?: readonly string[];
  /** A line for the terminal about each message the stand-in accepted or refused. */
  readonly log?: (line: string) => void;
}

export const LOCAL_SLACK_WEBHOOK = "T0HOOKWATCH/B0LOCAL/local";

// Slack incoming webhooks take a message of up to a few KB of blocks; anything near 1 MB is not a message.
const MAX_BODY_BYTES = 1_048_576;
const ANSWERS: Readonly<Record<number, string>> = {
  400: "invalid_payload",
  404: "no_service",
  429: "rate_limited",
};

class SlackRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

export async function startSlackStandIn(options: SlackStandInOptions = {}): Promise<SlackStandIn> {
  const webhooks = new Set(options.webhooks ?? [LOCAL_SLACK_WEBHOOK]);
  const log = options.log ?? (() => {});
  const posts: SlackPost[] = [];
  const misbehaviours = new MisbehaviourQueue();

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method === "POST" && (await handleControl(request, response, misbehaviours))) return;
    const body = await readBody(request, MAX_BODY_BYTES);
    const forced = misbehaviours.take();
    if (forced !== undefined) {
      log(`Slack stand-in: answered ${forced.status} on demand`);
      const headers: Record<string, string> =
        forced.retryAfterSeconds === undefined ? {} : { "retry-after": String(forced.retryAfterSeconds) };
      answer(response, forced.status, ANSWERS[forced.status] ?? "rollup_error", headers);
      return;
    }
    try {
      const webhook = (request.url ?? "").replace(/^\/services\//, "");
      if (request.method !== "POST" || !webhooks.has(webhook)) {
        throw new SlackRefusal(404, "no_service", `no incoming webhook at ${request.url}`);
      }
      if (body === "too large") throw new SlackRefusal(400, "invalid_payload", "the body is too large");
      const post = readSlackPost(webhook, request.headers["content-type"] ?? "", body.toString("utf8"));
      posts.push(post);
      log(`Slack stand-in: posted a message to webhook ${webhook}`);
      answer(response, 200, "ok");
    } catch (error) {
      if (!(error instanceof SlackRefusal)) throw error;
      log(`Slack stand-in: refused a message (${error.status} ${error.code}): ${error.detail}`);
      answer(response, error.status, error.code, { "x-stand-in-reason": error.detail });
    }
  }

  const server = await listenOnLoopback(handle);
  return {
    webhookUrl: (name = LOCAL_SLACK_WEBHOOK) => `${server.url}/services/${name}`,
    posts,
    misbehave: (misbehaviour) => misbehaviours.add(misbehaviour),
    recover: () => misbehaviours.clear(),
    close: server.close,
  };
}

/** Slack answers in plain text; each answer closes its connection, so no client reuses a timed-out socket. */
function answer(
  response: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  response
    .writeHead(status, { "content-type": "text/plain; charset=utf-8", connection: "close", ...headers })
    .end(body);
}

function readSlackPost(webhook: string, contentType: string, body: string): SlackPost {
  if (!contentType.startsWith("application/json")) {
    throw new SlackRefusal(400, "invalid_payload", `content-type ${contentType || "(none)"} is not JSON`);
  }
  const message = parseJsonObject(body);
  if (message === undefined) throw new SlackRefusal(400, "invalid_payload", "the body is not a JSON object");
  const { text, blocks } = message;
  if (text !== undefined && typeof text !== "string") throw new SlackRefusal(400, "invalid_payload", "text");
  if ((text === undefined || text === "") && blocks === undefined) {
    throw new SlackRefusal(400, "no_text", "neither text nor blocks");
  }
  const checked = blocks === undefined ? [] : checkBlocks(blocks);
  return {
    receivedAt: new Date().toISOString(),
    webhook,
    ...(typeof text === "string" ? { text } : {}),
    blocks: checked,
  };
}

// Block Kit reference limits, in characters.
const MAX_BLOCKS = 50;
const MAX_HEADER = 150;
const MAX_SECTION_TEXT = 3000;
const MAX_FIELDS = 10;
const MAX_FIELD = 2000;
const MAX_CONTEXT_ELEMENTS = 10;
const MAX_ACTIONS_ELEMENTS = 25;
const MAX_BUTTON_TEXT = 75;
const MAX_BUTTON_URL = 3000;
const MAX_BLOCK_ID = 255;
// Undocumented: Slack answers msg_blocks_too_long near 13,000 characters of block text (slackapi/bolt-js#2509).
const MAX_ALL_BLOCKS_TEXT = 13_000;

function checkBlocks(blocks: unknown): Record<string, unknown>[] {
  const invalid = (detail: string) => new SlackRefusal(400, "invalid_blocks", detail);
  if (!Array.isArray(blocks)) throw invalid("blocks is not an array");
  if (blocks.length > MAX_BLOCKS) throw invalid(`${blocks.length} blocks, more than ${MAX_BLOCKS}`);
  let total = 0;
  blocks.forEach((block: unknown, index) => {
    const at = `blocks[${index}]`;
    if (block === null || typeof block !== "object") throw invalid(`${at} is not an object`);
    const fields = block as Record<string, unknown>;
    if (typeof fields.block_id === "string" && fields.block_id.length > MAX_BLOCK_ID)
      throw invalid(`${at}.block_id`);
    total += checkBlock(fields, at, invalid);
  });
  if (total > MAX_ALL_BLOCKS_TEXT) throw new SlackRefusal(400, "msg_blocks_too_long", `${total} characters`);
  return blocks as Record<string, unknown>[];
}

/** Checks one block; returns the characters of text it carries. */
function checkBlock(
  block: Record<string, unknown>,
  at: string,
  invalid: (detail: string) => SlackRefusal,
): number {
  switch (block.type) {
    case "header":
      return textObject(block.text, `${at}.text`, MAX_HEADER, invalid, ["plain_text"]);
    case "section": {
      let length = 0;
      if (block.text !== undefined) length += textObject(block.text, `${at}.text`, MAX_SECTION_TEXT, invalid);
      if (block.fields !== undefined) {
        if (!Array.isArray(block.fields) || block.fields.length === 0 || block.fields.length > MAX_FIELDS) {
          throw invalid(`${at}.fields must hold 1 to ${MAX_FIELDS} text objects`);
        }
        block.fields.forEach((field: unknown, index) => {
          length += textObject(field, `${at}.fields[${index}]`, MAX_FIELD, invalid);
        });
      }
      if (block.text === undefined && block.fields === undefined)
        throw invalid(`${at} has neither text nor fields`);
      return length;
    }
    case "context":
      if (!Array.isArray(block.elements) || block.elements.length === 0) throw invalid(`${at}.elements`);
      if (block.elements.length > MAX_CONTEXT_ELEMENTS)
        throw invalid(`${at} has over ${MAX_CONTEXT_ELEMENTS} elements`);
      return block.elements.reduce(
        (sum: number, element: unknown, index) =>
          sum + textObject(element, `${at}.elements[${index}]`, 3000, invalid),
        0,
      );
    case "actions":
      if (!Array.isArray(block.elements) || block.elements.length === 0) throw invalid(`${at}.elements`);
      if (block.elements.length > MAX_ACTIONS_ELEMENTS) throw invalid(`${at} has too many elements`);
      return block.elements.reduce((sum: number, element: unknown, index) => {
        const button = (element ?? {}) as Record<string, unknown>;
        const where = `${at}.elements[${index}]`;
        if (button.type !== "button") throw invalid(`${where} is not a button`);
        if (typeof button.url === "string" && button.url.length > MAX_BUTTON_URL)
          throw invalid(`${where}.url`);
        return sum + textObject(button.text, `${where}.text`, MAX_BUTTON_TEXT, invalid, ["plain_text"]);
      }, 0);
    case "divider":
      return 0;
    default:
      throw invalid(`${at} has an unknown type ${String(block.type)}`);
  }
}

function textObject(
  value: unknown,
  at: string,
  max: number,
  invalid: (detail: string) => SlackRefusal,
  types: readonly string[] = ["plain_text", "mrkdwn"],
): number {
  const text = (value ?? {}) as Record<string, unknown>;
  if (typeof text.type !== "string" || !types.includes(text.type))
    throw invalid(`${at}.type must be ${types.join(" or ")}`);
  if (typeof text.text !== "string" || text.text.length === 0)
    throw invalid(`${at}.text must be a non-empty string`);
  if (text.text.length > max)
    throw invalid(`${at}.text has ${text.text.length} characters, more than ${max}`);
  return text.text.length;
}
