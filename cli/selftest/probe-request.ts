import { WEBHOOK_ATTRIBUTES, WEBHOOK_HEADERS } from "../../lambdas/webhook/webhook-message.js";
import { createPreludeSigner, type PreludeSigner } from "../../local/prelude-signer.js";

/** Every probe's key id starts with this, so its rejected records are recognisable as the self-test's. */
export const PROBE_KEY_ID_PREFIX = "hookwatch-selftest-";

/**
 * Room left under the queue's maximum for what the request template adds and we cannot predict to the byte:
 * a longer request id than a UUID, an attribute a later template adds.
 */
export const TEMPLATE_MARGIN_BYTES = 1024;
/** API Gateway's request ids are UUIDs; ReceivedAt is epoch milliseconds. */
const REQUEST_ID_LENGTH = 36;
const RECEIVED_AT_LENGTH = 13;

/** One signed POST the self-test sends, and what it expects to find stored for it. */
export interface Probe {
  readonly hop: string;
  readonly contentType: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * A key pair made for this run only, whose key id no JWKS holds: every probe it signs is well formed
 * and signed, yet cannot verify, so the processor must reject it and say why.
 */
export function createThrowawaySigner(runId: string): PreludeSigner {
  return createPreludeSigner({ kid: `${PROBE_KEY_ID_PREFIX}${runId}` });
}

/**
 * A probe body: JSON the gateway's model accepts (a non-empty object), naming the app, whose `events` is
 * not a list, so even a stack with signature verification off keeps it as quarantined instead of storing
 * it as events. `padToBytes` pads it with ASCII to that many bytes (SQS counts bytes; ASCII keeps
 * characters and bytes equal for stand-ins that count characters).
 */
export function buildProbeBody(
  options: { appId: string; runId: string; probe: string; text?: string },
  padToBytes?: number,
): string {
  const base = {
    app_id: options.appId,
    events: "none: a hookwatch selftest probe, signed with a throwaway key; hookwatch must reject it",
    hookwatch_selftest: {
      run: options.runId,
      probe: options.probe,
      ...(options.text ? { text: options.text } : {}),
    },
  };
  if (padToBytes === undefined) return JSON.stringify(base);
  const bare = Buffer.byteLength(JSON.stringify({ ...base, padding: "" }));
  if (padToBytes < bare) throw new Error(`a probe body cannot be smaller than ${bare} bytes`);
  return JSON.stringify({ ...base, padding: "x".repeat(padToBytes - bare) });
}

export function signProbe(signer: PreludeSigner, hop: string, contentType: string, body: string): Probe {
  return {
    hop,
    contentType,
    body,
    headers: {
      "Content-Type": contentType,
      [WEBHOOK_HEADERS.signature]: signer.sign(body),
      [WEBHOOK_HEADERS.signatureKeyId]: signer.kid,
    },
  };
}

/**
 * The largest body whose SQS message, with the attributes the request template adds (name, type and value
 * each count, as SQS counts them), stays under the queue's maximum with TEMPLATE_MARGIN_BYTES to spare.
 */
export function probeBodyBytes(maximumMessageSize: number, signer: PreludeSigner): number {
  const attribute = (name: string, valueLength: number) =>
    Buffer.byteLength(name) + "String".length + valueLength;
  const attributes =
    attribute(WEBHOOK_ATTRIBUTES.requestId, REQUEST_ID_LENGTH) +
    attribute(WEBHOOK_ATTRIBUTES.receivedAt, RECEIVED_AT_LENGTH) +
    attribute(WEBHOOK_ATTRIBUTES.signature, signer.sign("").length) +
    attribute(WEBHOOK_ATTRIBUTES.signatureKeyId, Buffer.byteLength(signer.kid));
  return maximumMessageSize - attributes - TEMPLATE_MARGIN_BYTES;
}

export interface ProbeResponse {
  readonly status: number;
  readonly body: string;
  /** The gateway's request id: the response body's `request_id`, else the `x-amzn-RequestId` header. */
  readonly requestId?: string;
}

const REQUEST_TIMEOUT_MS = 30_000;

export async function sendProbe(
  url: string,
  probe: Probe,
  fetchImpl: typeof fetch = fetch,
): Promise<ProbeResponse> {
  const response = await fetchImpl(url, {
    method: "POST",
    headers: probe.headers,
    body: probe.body,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const body = await response.text();
  const requestId = requestIdOf(body) ?? response.headers.get("x-amzn-requestid") ?? undefined;
  return { status: response.status, body, ...(requestId ? { requestId } : {}) };
}

function requestIdOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { request_id?: unknown };
    return typeof parsed.request_id === "string" && parsed.request_id !== "" ? parsed.request_id : undefined;
  } catch {
    return undefined;
  }
}
