import { describe, expect, it } from "vitest";
import {
  readSigningKeys,
  signWebhook,
  standardWebhookHeaders,
  WebhookSecretError,
  webhookIdOf,
} from "../../lambdas/destinations/standard-webhook.js";

// The Standard Webhooks reference library's own signing vector (libraries/javascript, "sign function works").
const SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const SPEC_TIMESTAMP = 1614265330;
const SPEC_BODY = '{"test": 2432232314}';
const SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

describe("Standard Webhooks signing", () => {
  it("signs id.timestamp.body as the specification's reference library does", () => {
    expect(signWebhook(readSigningKeys(SPEC_SECRET), SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)).toBe(
      SPEC_SIGNATURE,
    );
  });

  it("signs with every key of a rotating secret, space-separated, the current one first", () => {
    const other = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;
    const signature = signWebhook(
      readSigningKeys(`${SPEC_SECRET} ${other}`),
      SPEC_ID,
      SPEC_TIMESTAMP,
      SPEC_BODY,
    );

    const [first, second] = signature.split(" ");
    expect(first).toBe(SPEC_SIGNATURE);
    expect(second).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(second).not.toBe(first);
  });

  it("puts the attempt's time in webhook-timestamp, in whole seconds, and signs that", () => {
    const headers = standardWebhookHeaders(
      readSigningKeys(SPEC_SECRET),
      SPEC_ID,
      SPEC_TIMESTAMP * 1000 + 999,
      SPEC_BODY,
    );

    expect(headers).toEqual({
      "webhook-id": SPEC_ID,
      "webhook-timestamp": String(SPEC_TIMESTAMP),
      "webhook-signature": SPEC_SIGNATURE,
    });
  });

  it("gives a trigger and its resolve different ids, each stable across retries and without a '.'", () => {
    const trigger = webhookIdOf("hookwatch:app:migration:2026-11-21T09:14:03.512Z", "trigger");

    expect(webhookIdOf("hookwatch:app:migration:2026-11-21T09:14:03.512Z", "trigger")).toBe(trigger);
    expect(webhookIdOf("hookwatch:app:migration:2026-11-21T09:14:03.512Z", "resolve")).not.toBe(trigger);
    expect(trigger).toMatch(/^msg_[A-Za-z0-9_-]{32}$/);
  });

  it.each([
    ["without the whsec_ prefix", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", /does not start with whsec_/],
    ["shorter than 24 bytes", `whsec_${Buffer.alloc(16).toString("base64")}`, /24 to 64 random bytes/],
    ["not base64", "whsec_not*base64*at*all*not*base64*at*all", /24 to 64 random bytes/],
  ])("refuses a secret %s, without showing it", (_, secret, message) => {
    const read = () => readSigningKeys(secret);

    expect(read).toThrow(WebhookSecretError);
    expect(read).toThrow(message);
    expect(() => read()).not.toThrow(secret);
  });
});
