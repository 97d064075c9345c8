import { createHash, createHmac } from "node:crypto";

/**
 * Signing per the Standard Webhooks specification (standardwebhooks.com): HMAC-SHA256 over
 * `{webhook-id}.{webhook-timestamp}.{body}` with the base64-decoded `whsec_` secret, sent as
 * `v1,<base64 signature>`; several secrets (space-separated, while rotating) give several signatures.
 */

export const SECRET_PREFIX = "whsec_";
// The specification: a random secret of at least 24 bytes (and at most 64).
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;

/** A signing secret that is not `whsec_<base64 of 24 to 64 bytes>`; the message never shows the secret. */
export class WebhookSecretError extends Error {
  override name = "WebhookSecretError";
}

/** The keys of a secret string: one `whsec_…` value, or several separated by spaces. */
export function readSigningKeys(secret: string): Buffer[] {
  const values = secret.trim().split(/\s+/);
  return values.map((value, index) => {
    const which = values.length === 1 ? "the signing secret" : `signing secret ${index + 1}`;
    if (!value.startsWith(SECRET_PREFIX)) {
      throw new WebhookSecretError(`${which} does not start with ${SECRET_PREFIX}`);
    }
    const encoded = value.slice(SECRET_PREFIX.length);
    const key = Buffer.from(encoded, "base64");
    if (
      !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) ||
      key.length < MIN_SECRET_BYTES ||
      key.length > MAX_SECRET_BYTES
    ) {
      throw new WebhookSecretError(
        `${which} is not ${SECRET_PREFIX} followed by the base64 of ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} random bytes`,
      );
    }
    return key;
  });
}

/** `v1,<signature>` for each key, space-separated, as the `webhook-signature` header carries them. */
export function signWebhook(
  keys: readonly Buffer[],
  id: string,
  timestampSeconds: number,
  body: string,
): string {
  return keys
    .map(
      (key) => `v1,${createHmac("sha256", key).update(`${id}.${timestampSeconds}.${body}`).digest("base64")}`,
    )
    .join(" ");
}

/**
 * The `webhook-id` of a page: the same for every attempt and redelivery of one trigger or resolve, so a
 * receiver can use it as its idempotency key; no `.`, as the specification asks.
 */
export function webhookIdOf(dedupKey: string, action: string): string {
  return `msg_${createHash("sha256").update(`${dedupKey}\n${action}`).digest("base64url").slice(0, 32)}`;
}

/** The headers of one signed attempt; the timestamp is the attempt's, so a retry is signed afresh. */
export function standardWebhookHeaders(
  keys: readonly Buffer[],
  id: string,
  nowMs: number,
  body: string,
): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signWebhook(keys, id, timestamp, body),
  };
}
