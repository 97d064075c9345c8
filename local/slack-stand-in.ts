import { type Answer, type HttpStandIn, parseJsonObject, startHttpStandIn } from "./http-stand-in.js";

/**
 * A loopback stand-in for Slack incoming webhooks. It answers as Slack does (200 `ok`; 400 `invalid_payload`,
 * `no_text` or `invalid_blocks`; 404 `no_service` for a webhook that does not exist; 429 with `Retry-After`
 * and 500 `rollup_error` on demand) and checks each message against Block Kit's documented limits, with its
 * own copy of them so a wrong limit in the message builder cannot hide here. The refusal's detail goes in an
 * `x-stand-in-reason` header; Slack's body is only the error code.
 */

export interface SlackPost {
  readonly receivedAt: string;
  /** Which webhook: the path after `/services/`. */
  readonly webhook: string;
  readonly text?: string;
  readonly blocks: readonly Record<string, unknown>[];
}

export interface SlackStandIn extends HttpStandIn {
  /** The URL of an incoming webhook that exists on this stand-in. */
  webhookUrl(name: string): string;
}

export interface SlackStandInOptions {
  /** Webhooks that exist (`T…/B…/…` or any word); a post to any other answers 404 `no_service`. */
  readonly webhooks: readonly string[];
  /** Receives each accepted message; if it throws, Slack's answer is 500 `rollup_error`. */
  readonly onPost: (post: SlackPost) => void | Promise<void>;
}

class SlackRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

export async function startSlackStandIn(options: SlackStandInOptions): Promise<SlackStandIn> {
  const webhooks = new Set(options.webhooks);
  const standIn = await startHttpStandIn(
    "Slack",
    async (request) => {
      try {
        const webhook = new URL(request.target, "http://stand-in").pathname.replace(/^\/services\//, "");
        if (request.method !== "POST" || !webhooks.has(webhook)) {
          throw new SlackRefusal(404, "no_service", `no incoming webhook at ${request.target}`);
        }
        const post = readSlackPost(webhook, request.contentType, request.body);
        await options.onPost(post);
        return { status: 200, body: "ok" };
      } catch (error) {
        if (error instanceof SlackRefusal) return refusal(error);
        return refusal(new SlackRefusal(500, "rollup_error", (error as Error).message));
      }
    },
    (failure) =>
      failure.status === 429
        ? { status: 429, headers: { "retry-after": String(failure.retryAfterSeconds) }, body: "rate_limited" }
        : failure.status === 400
          ? { status: 400, body: "invalid_payload" }
          : { status: failure.status, body: "rollup_error" },
  );
  return { ...standIn, webhookUrl: (name) => `${standIn.endpoint}/services/${name}` };
}

function refusal(error: SlackRefusal): Answer {
  return { status: error.status, headers: { "x-stand-in-reason": error.detail }, body: error.code };
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
