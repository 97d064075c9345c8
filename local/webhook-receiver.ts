import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { readSigningKeys, signWebhook } from "../lambdas/destinations/standard-webhook.js";
import {
  handleControl,
  listenOnLoopback,
  MisbehaviourQueue,
  readBody,
  type StandInControls,
  sendJson,
} from "./http-stand-in.js";

/** One verified delivery: the headers' id and timestamp, and the parsed body (a page document). */
export interface ReceivedWebhook {
  readonly receivedAt: string;
  readonly id: string;
  readonly timestamp: number;
  readonly body: Readonly<Record<string, unknown>>;
  /** True when this `webhook-id` had been received before (a retry or redelivery). */
  readonly repeat: boolean;
}

export interface WebhookReceiver extends StandInControls {
  readonly url: string;
  readonly received: readonly ReceivedWebhook[];
  /** Requests refused for a missing, stale or wrong signature, with why. */
  readonly refused: readonly string[];
}

export interface WebhookReceiverOptions {
  /** The `whsec_…` secret the sender signs with. */
  readonly secret: string;
  readonly log?: (line: string) => void;
  readonly now?: () => number;
}

// The specification's advice to receivers: refuse a timestamp more than five minutes away.
const TOLERANCE_SECONDS = 5 * 60;
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * A generic webhook receiver that does what the Standard Webhooks specification asks of one: verify
 * `webhook-signature` over `{id}.{timestamp}.{body}` with the shared secret (constant-time), refuse a stale
 * timestamp, and treat `webhook-id` as the idempotency key. Answers 200, or 401 for a bad signature.
 */
export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const log = options.log ?? (() => {});
  const now = options.now ?? Date.now;
  const [first] = readSigningKeys(options.secret);
  if (first === undefined) throw new Error("the webhook receiver needs one signing secret");
  const key: Buffer = first;
  const received: ReceivedWebhook[] = [];
  const refused: string[] = [];
  const misbehaviours = new MisbehaviourQueue();

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method === "POST" && (await handleControl(request, response, misbehaviours))) return;
    const body = await readBody(request, MAX_BODY_BYTES);
    const forced = misbehaviours.take();
    if (forced !== undefined) {
      const headers: Record<string, string> =
        forced.retryAfterSeconds === undefined ? {} : { "retry-after": String(forced.retryAfterSeconds) };
      log(`webhook receiver: answered ${forced.status} on demand`);
      sendJson(response, forced.status, { error: "on demand" }, headers);
      return;
    }
    if (body === "too large") {
      sendJson(response, 413, { error: "body too large" });
      return;
    }
    const text = body.toString("utf8");
    const problem = verify(request, text, key, now());
    if (problem !== undefined) {
      refused.push(problem);
      log(`webhook receiver: refused a delivery (401): ${problem}`);
      sendJson(response, 401, { error: problem });
      return;
    }
    const id = String(request.headers["webhook-id"]);
    const repeat = received.some((delivery) => delivery.id === id);
    const page = JSON.parse(text) as Record<string, unknown>;
    received.push({
      receivedAt: new Date(now()).toISOString(),
      id,
      timestamp: Number(request.headers["webhook-timestamp"]),
      body: page,
      repeat,
    });
    log(
      `webhook receiver: signature verified, ${String(page.event_action)} for dedup_key ${String(page.dedup_key)} (webhook-id ${id}${repeat ? ", a repeat" : ""})`,
    );
    sendJson(response, 200, { received: true });
  }

  const server = await listenOnLoopback(handle);
  return {
    url: `${server.url}/hookwatch`,
    received,
    refused,
    misbehave: (misbehaviour) => misbehaviours.add(misbehaviour),
    recover: () => misbehaviours.clear(),
    close: server.close,
  };
}

/** Why the request's signature does not hold, or undefined when it does. */
export function verify(
  request: IncomingMessage,
  body: string,
  key: Buffer,
  nowMs: number,
): string | undefined {
  const header = (name: string) => {
    const value = request.headers[name];
    return typeof value === "string" && value !== "" ? value : undefined;
  };
  const id = header("webhook-id");
  const timestampText = header("webhook-timestamp");
  const signatures = header("webhook-signature");
  if (id === undefined || timestampText === undefined || signatures === undefined) {
    return "missing webhook-id, webhook-timestamp or webhook-signature";
  }
  const timestamp = Number(timestampText);
  if (!/^\d+$/.test(timestampText) || Math.abs(nowMs / 1000 - timestamp) > TOLERANCE_SECONDS) {
    return `webhook-timestamp ${timestampText} is not within ${TOLERANCE_SECONDS} s of now`;
  }
  const expected = Buffer.from(signWebhook([key], id, timestamp, body).slice("v1,".length));
  const matches = signatures.split(" ").some((entry) => {
    const [version, signature] = entry.split(",");
    if (version !== "v1" || signature === undefined) return false;
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return matches ? undefined : "no v1 signature matches";
}
