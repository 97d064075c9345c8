import { QueryCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processMessage } from "../../lambdas/processor/process-message.js";
import { RetryLaterError } from "../../lambdas/runtime/retry-later-error.js";
import { RESPONSE_REASONS, TRANSPORT_REASONS } from "../../lambdas/webhook/event-validation.js";
import { createPreludeSigner } from "../../local/prelude-signer.js";
import {
  APP_ID,
  at,
  batchBody,
  migrationFailure,
  stepUpFailure,
  webhookMessage,
  wrapped,
} from "../helpers/prelude-events.js";
import { createHarness, type Harness, plain } from "../helpers/processor-harness.js";

let harness: Harness;

beforeAll(async () => {
  harness = await createHarness({ appIds: [APP_ID, "app_other"] });
});
afterAll(() => harness.close());

describe("storing events", () => {
  const cases = [
    ...[...TRANSPORT_REASONS].map((reason) => ["migration", reason, "transport"] as const),
    ...RESPONSE_REASONS.migration.map((reason) => ["migration", reason, "response"] as const),
    ...[...TRANSPORT_REASONS].map((reason) => ["step-up", reason, "transport"] as const),
    ...RESPONSE_REASONS["step-up"].map((reason) => ["step-up", reason, "response"] as const),
  ];

  it.each(cases)("stores a %s failure with reason %s as %s-level", async (hook, reason, reasonClass) => {
    const event =
      hook === "migration"
        ? migrationFailure({ reason, occurred_at: "2025-01-01T00:00:00Z" })
        : stepUpFailure({ reason, occurred_at: "2025-01-01T00:00:00Z" });

    const outcome = await harness.send([event]);

    expect(outcome).toMatchObject({ kind: "processed", events: [{ outcome: "stored" }] });
    const item = await harness.getEvent(event.dispatch_id as string);
    expect(item).toMatchObject({
      hook,
      reason,
      reason_class: reasonClass,
      app_id: APP_ID,
      key_source: "dispatch_id",
    });
    expect(item?.flags).toBeUndefined();
  });

  it("stores the queryable fields, the raw event and a TTL 30 days after arrival", async () => {
    const event = stepUpFailure({ reason: "invalid_step", correlation_id: "corr_42", scope: "wire" });

    await harness.send([event]);

    const item = await harness.getEvent(event.dispatch_id as string);
    expect(item).toMatchObject({
      type: "step_up.hook_failed",
      user_id: event.user_id,
      session_id: event.session_id,
      scope: "wire",
      correlation_id: "corr_42",
      occurred_at: event.occurred_at,
      received_at: new Date(harness.clock.now).toISOString(),
    });
    expect(JSON.parse(item?.raw as string)).toEqual(event);
    expect(item?.expires_at).toBe(Math.floor(harness.clock.now / 1000) + 30 * 86_400);
  });

  it("accepts the wrapped envelope shape and keys an event without dispatch_id by its envelope id", async () => {
    const { dispatch_id: _, ...event } = migrationFailure({ reason: "missing_external_id" });

    const outcome = await harness.send([wrapped(event, "evt_wrapped_1")]);

    expect(outcome).toMatchObject({ events: [{ key: "event_id:evt_wrapped_1", outcome: "stored" }] });
    expect(await harness.getEvent("event_id:evt_wrapped_1")).toMatchObject({
      key_source: "event_id",
      envelope_id: "evt_wrapped_1",
      reason: "missing_external_id",
    });
  });

  it("keys an event with neither dispatch_id nor envelope id by a hash of its content, stably", async () => {
    const { dispatch_id: _, ...event } = migrationFailure({ reason: "invalid_response" });

    const first = await harness.send([event]);
    const again = await harness.send([{ ...event }]);

    expect(first.kind === "processed" && first.events[0]?.key).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(again).toMatchObject({ events: [{ outcome: "duplicate" }] });
    const key = first.kind === "processed" ? (first.events[0]?.key as string) : "";
    expect(await harness.getEvent(key)).toMatchObject({ key_source: "content_hash" });
  });

  it("keeps an unknown reason, flagged, in its own class", async () => {
    const event = migrationFailure({ reason: "hook_on_fire" });

    await harness.send([event]);

    expect(await harness.getEvent(event.dispatch_id as string)).toMatchObject({
      reason: "hook_on_fire",
      reason_class: "unknown",
      flags: ["unknown_reason"],
    });
  });

  it("keeps an unknown event type and extra fields, flagged", async () => {
    const unknownType = { type: "user.passkey.created", dispatch_id: "disp-passkey-1", user_id: "usr_1" };
    const extra = migrationFailure({ hook_url: "https://example.test/hook" });

    await harness.send([unknownType, extra]);

    expect(await harness.getEvent("disp-passkey-1")).toMatchObject({
      type: "user.passkey.created",
      flags: ["unknown_type"],
    });
    expect(await harness.getEvent(extra.dispatch_id as string)).toMatchObject({ flags: ["extra_fields"] });
  });

  it("lists one hook's latest failures in time order from the by-hook index, without a scan", async () => {
    const events = [3, 1, 2].map((second) =>
      migrationFailure({
        reason: "invalid_status_code",
        occurred_at: at(second, Date.parse("2024-06-01T00:00:00Z")),
      }),
    );
    await harness.send(events);

    const { Items = [] } = await harness.client.send(
      new QueryCommand({
        TableName: harness.tables.events,
        IndexName: "by-hook",
        KeyConditionExpression: "hook_key = :key AND begins_with(occurred_key, :day)",
        ExpressionAttributeValues: {
          ":key": { S: `${APP_ID}#migration#transport` },
          ":day": { S: "2024-06-01" },
        },
        ScanIndexForward: false,
      }),
    );

    expect(Items.map((item) => plain(item).occurred_at)).toEqual([
      "2024-06-01T00:00:03.000Z",
      "2024-06-01T00:00:02.000Z",
      "2024-06-01T00:00:01.000Z",
    ]);
  });
});

describe("exactly once", () => {
  it("stores the same event twice in one batch once", async () => {
    const event = migrationFailure({ reason: "missing_identifiers" });

    const outcome = await harness.send([event, { ...event }]);

    expect(outcome).toMatchObject({ events: [{ outcome: "stored" }, { outcome: "duplicate" }] });
  });

  it("stores a redelivered batch once", async () => {
    const events = [
      migrationFailure({ reason: "invalid_response" }),
      stepUpFailure({ reason: "missing_steps" }),
    ];
    const message = harness.signedMessage(batchBody(events));

    await processMessage(harness.deps(), message);
    const redelivery = await processMessage(harness.deps(), message);

    expect(redelivery).toMatchObject({ events: [{ outcome: "duplicate" }, { outcome: "duplicate" }] });
  });

  it("stores an event that comes back in a later, different batch once", async () => {
    const event = stepUpFailure({ reason: "invalid_grant_mode" });

    await harness.send([event, stepUpFailure({ reason: "invalid_status" })]);
    const later = await harness.send([stepUpFailure({ reason: "invalid_status" }), event]);

    expect(later).toMatchObject({ events: [{ outcome: "stored" }, { outcome: "duplicate" }] });
  });

  it("stores once when two invocations race on the same batch", async () => {
    const events = Array.from({ length: 10 }, () => migrationFailure({ reason: "invalid_response" }));
    const message = harness.signedMessage(batchBody(events));

    const [a, b] = await Promise.all([
      processMessage(harness.deps(), message),
      processMessage(harness.deps(), message),
    ]);

    const outcomes = [a, b].flatMap((outcome) => (outcome.kind === "processed" ? outcome.events : []));
    expect(outcomes.filter((event) => event.outcome === "stored")).toHaveLength(10);
    expect(outcomes.filter((event) => event.outcome === "duplicate")).toHaveLength(10);
  });

  it("keeps a second event with the same key but other content aside as a conflict", async () => {
    const original = migrationFailure({ reason: "request_failed", occurred_at: "2025-01-01T00:00:00Z" });
    const clash = { ...original, reason: "invalid_status_code" };

    await harness.send([original]);
    const outcome = await harness.send([clash]);

    expect(outcome).toMatchObject({ events: [{ outcome: "conflict" }] });
    expect(await harness.getEvent(original.dispatch_id as string)).toMatchObject({
      reason: "request_failed",
    });
    const conflicts = await harness.stateItems("CONFLICT");
    expect(conflicts.find((item) => item.event_key === original.dispatch_id)).toMatchObject({
      reason: "invalid_status_code",
      raw: JSON.stringify(clash),
    });
  });
});

describe("bad input is quarantined or rejected with a reason, never stored as an event", () => {
  it("quarantines a body that is not JSON and does not retry it", async () => {
    const message = harness.signedMessage("{not json", { requestId: "req-not-json" });

    const outcome = await processMessage(harness.deps(), message);

    expect(outcome).toMatchObject({
      kind: "quarantined",
      reason: expect.stringMatching(/^body is not JSON/),
    });
    const record = (await harness.stateItems("QUARANTINE")).find(
      (item) => item.request_id === "req-not-json",
    );
    expect(record).toMatchObject({ raw: "{not json", sk: expect.stringMatching(/#body$/) });
  });

  it("quarantines a JSON body that is not a Prelude batch", async () => {
    const message = harness.signedMessage(JSON.stringify({ app_id: APP_ID, events: "none" }));

    const outcome = await processMessage(harness.deps(), message);

    expect(outcome).toMatchObject({
      kind: "quarantined",
      reason: "not a Prelude batch: events must be an array, got string",
    });
  });

  it("stores the valid events of a mixed batch and quarantines each invalid one with its reason", async () => {
    const valid = stepUpFailure({ reason: "request_failed", occurred_at: "2025-01-01T00:00:00Z" });
    const badUser = stepUpFailure({ user_id: "user_1" });
    const badTime = migrationFailure({ occurred_at: "yesterday" });

    const outcome = await harness.send([badUser, valid, badTime], { message: { requestId: "req-mixed" } });

    expect(outcome).toMatchObject({
      events: [{ outcome: "invalid" }, { key: valid.dispatch_id, outcome: "stored" }, { outcome: "invalid" }],
    });
    const quarantined = (await harness.stateItems("QUARANTINE")).filter(
      (item) => item.request_id === "req-mixed",
    );
    expect(quarantined.map((item) => [item.event_index, item.reason])).toEqual([
      [0, "step_up.hook_failed: user_id must be a user id starting with 'usr_'"],
      [2, "migration.hook_failed: occurred_at must be an RFC 3339 date-time"],
    ]);
    expect(await harness.getEvent(badUser.dispatch_id as string)).toBeUndefined();
  });

  it("rejects a batch for an app that is not configured, keeping only a hash of the body", async () => {
    const body = batchBody([migrationFailure()], "app_stranger");

    const outcome = await processMessage(
      harness.deps(),
      harness.signedMessage(body, { requestId: "req-stranger" }),
    );

    expect(outcome).toEqual({
      kind: "rejected",
      reason: 'app_id "app_stranger" is not a configured Prelude app',
    });
    const record = (await harness.stateItems("REJECTED")).find((item) => item.request_id === "req-stranger");
    expect(record).toMatchObject({ claimed_app_id: "app_stranger", body_bytes: Buffer.byteLength(body) });
    expect(record?.expires_at).toBe(Math.floor(harness.clock.now / 1000) + 7 * 86_400);
    expect(JSON.stringify(record)).not.toContain("dispatch_id");
  });

  it("rejects a forged signature and stores nothing from the body", async () => {
    const event = migrationFailure();
    const body = batchBody([event]);
    const forger = createPreludeSigner({ kid: harness.signer.kid });

    const outcome = await processMessage(
      harness.deps(),
      webhookMessage(body, {
        signature: forger.sign(body),
        signatureKeyId: forger.kid,
        receivedAt: harness.clock.now,
      }),
    );

    expect(outcome.kind).toBe("rejected");
    expect(await harness.getEvent(event.dispatch_id as string)).toBeUndefined();
  });

  it("rejects a message without a signature while verification is on", async () => {
    const outcome = await processMessage(harness.deps(), webhookMessage(batchBody([migrationFailure()])));

    expect(outcome).toMatchObject({ kind: "rejected", reason: expect.stringMatching(/signature/i) });
  });

  it("rejects a batch signed by one configured app's key that claims to be another app", async () => {
    const body = batchBody([migrationFailure()], "app_other");
    const deps = harness.deps({
      verifier: {
        verify: async () => ({ outcome: "verified", scheme: "rsassa-pss-sha256", appIds: [APP_ID] }),
      },
    });

    const outcome = await processMessage(deps, webhookMessage(body));

    expect(outcome).toEqual({
      kind: "rejected",
      reason: 'signed with a key of app "app_test" but claims app "app_other"',
    });
  });

  it("stores a batch that claims any of the apps whose shared key verified it", async () => {
    const event = migrationFailure();
    const deps = harness.deps({
      verifier: {
        verify: async () => ({
          outcome: "verified",
          scheme: "rsassa-pss-sha256",
          appIds: [APP_ID, "app_other"],
        }),
      },
    });

    const outcome = await processMessage(deps, webhookMessage(batchBody([event], "app_other")));

    expect(outcome).toMatchObject({ kind: "processed" });
    expect((await harness.getEvent(event.dispatch_id as string))?.app_id).toBe("app_other");
  });

  it("retries later, storing nothing, when the signature cannot be checked (JWKS unreachable)", async () => {
    const event = migrationFailure();
    const deps = harness.deps({
      verifier: { verify: async () => ({ outcome: "unavailable", reason: "JWKS timed out" }) },
    });

    await expect(processMessage(deps, webhookMessage(batchBody([event])))).rejects.toBeInstanceOf(
      RetryLaterError,
    );
    expect(await harness.getEvent(event.dispatch_id as string)).toBeUndefined();
  });

  it("accepts unsigned messages only when verification is switched off", async () => {
    const event = migrationFailure();

    const outcome = await processMessage(
      harness.deps({ verifier: undefined }),
      webhookMessage(batchBody([event]), { receivedAt: harness.clock.now }),
    );

    expect(outcome).toMatchObject({ kind: "processed", events: [{ outcome: "stored" }] });
  });

  it("quarantines an event too large for a DynamoDB item instead of failing forever", async () => {
    const event = migrationFailure({ reason: "invalid_response", note: "x".repeat(320_000) });

    const outcome = await harness.send([event]);

    expect(outcome).toMatchObject({ events: [{ outcome: "invalid" }] });
    expect(await harness.getEvent(event.dispatch_id as string)).toBeUndefined();
  });
});
