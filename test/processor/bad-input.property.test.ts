import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MessageOutcome, processMessage } from "../../lambdas/processor/process-message.js";
import { RESPONSE_REASONS, TRANSPORT_REASONS } from "../../lambdas/webhook/event-validation.js";
import { APP_ID, batchBody, webhookMessage } from "../helpers/prelude-events.js";
import { createHarness, type Harness } from "../helpers/processor-harness.js";

const RUNS = Number(process.env.PROPERTY_RUNS ?? 60);
let harness: Harness;

beforeAll(async () => {
  harness = await createHarness();
});
afterAll(() => harness.close());

/** Every outcome is an answer with a reason: stored, quarantined or rejected; never a throw. */
function expectAccountedFor(outcome: MessageOutcome, eventCount?: number): void {
  if (outcome.kind === "processed") {
    if (eventCount !== undefined) expect(outcome.events).toHaveLength(eventCount);
    for (const event of outcome.events)
      expect(["stored", "duplicate", "conflict", "invalid"]).toContain(event.outcome);
  } else {
    expect(outcome.reason.length).toBeGreaterThan(0);
  }
}

const signedProcess = (body: string) => processMessage(harness.deps(), harness.signedMessage(body));

const anyReason = fc.constantFrom(
  ...TRANSPORT_REASONS,
  ...RESPONSE_REASONS.migration,
  ...RESPONSE_REASONS["step-up"],
  "brand_new_reason",
);
const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.constantFrom(
    "\ud800",
    "\udfff",
    "\u0000",
    "\u202e",
    "é\u0301",
    "𝕳",
    "\uFEFF",
    "__proto__",
    "constructor",
  ),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
);
/** An event where any field may hold any value, next to documented ones. */
const looseEvent = fc.record(
  {
    type: fc.oneof(fc.constantFrom("migration.hook_failed", "step_up.hook_failed", "user.created"), nasty),
    reason: fc.oneof(anyReason, nasty),
    occurred_at: fc.oneof(
      fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
      nasty,
    ),
    user_id: fc.oneof(
      fc.string().map((id) => `usr_${id}`),
      nasty,
    ),
    session_id: fc.oneof(
      fc.string().map((id) => `ses_${id}`),
      nasty,
    ),
    scope: fc.oneof(fc.constant("transfer_funds"), nasty),
    dispatch_id: fc.oneof(fc.uuid(), nasty),
    correlation_id: nasty,
    __proto__: nasty,
    constructor: nasty,
  },
  { requiredKeys: [] },
);

const header = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.string().map((value) => `rsassa-pss-sha256=${value}`),
  fc.string().map((value) => `sha256=${value}`),
  fc.constantFrom(
    "rsassa-pss-sha256=",
    `rsassa-pss-sha256=${"A".repeat(400)}`,
    "RSASSA-PSS-SHA256===",
    "\u0000",
  ),
);

describe("bad input: every body ends stored, quarantined or rejected with a reason", () => {
  it("handles random bytes as a body", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2_000 }), async (bytes) => {
        expectAccountedFor(await signedProcess(Buffer.from(bytes).toString("utf8")));
      }),
      { numRuns: RUNS },
    );
  });

  it("handles truncated JSON", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(looseEvent, { maxLength: 5 }), fc.nat(), async (events, cut) => {
        const body = batchBody(events);
        expectAccountedFor(await signedProcess(body.slice(0, cut % (body.length + 1))));
      }),
      { numRuns: RUNS },
    );
  });

  it("handles events with wrong types, unicode edge cases and __proto__ or constructor keys in every field", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(looseEvent, { maxLength: 8 }), async (events) => {
        const outcome = await signedProcess(batchBody(events));
        expect(outcome.kind).toBe("processed");
        expectAccountedFor(outcome, events.length);
      }),
      { numRuns: RUNS },
    );
  });

  it("handles wrapped envelopes whose payload is anything", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ id: nasty, type: nasty, payload: fc.oneof(looseEvent, nasty) }), {
          maxLength: 5,
        }),
        async (events) => {
          expectAccountedFor(await signedProcess(batchBody(events)), events.length);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("handles envelopes that are not batches", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const outcome = await signedProcess(JSON.stringify(value));
        expectAccountedFor(outcome);
      }),
      { numRuns: RUNS },
    );
  });

  it("handles random signature headers without throwing", async () => {
    await fc.assert(
      fc.asyncProperty(fc.option(header), fc.option(header), async (signature, keyId) => {
        const outcome = await processMessage(
          harness.deps(),
          webhookMessage(batchBody([]), {
            ...(signature === null ? {} : { signature }),
            ...(keyId === null ? {} : { signatureKeyId: keyId }),
          }),
        );
        expect(outcome.kind).toBe("rejected");
      }),
      { numRuns: RUNS },
    );
  });

  it("quarantines deeply nested JSON instead of overflowing the stack", async () => {
    let deep = '"bottom"';
    for (let level = 0; level < 100_000; level++) deep = `{"a":${deep}}`;
    const body = `{"app_id":"${APP_ID}","events":[${deep},{"type":"migration.hook_failed","reason":"request_failed","occurred_at":"2025-01-01T00:00:00Z","dispatch_id":"beside-the-deep-one"}]}`;

    const outcome = await signedProcess(body);

    expect(outcome).toMatchObject({
      kind: "processed",
      events: [{ outcome: "invalid" }, { outcome: "stored" }],
    });
  });

  it("handles huge strings and an oversized batch without blocking its valid events", async () => {
    const valid = {
      type: "migration.hook_failed",
      reason: "invalid_response",
      occurred_at: "2025-01-01T00:00:00Z",
      dispatch_id: "valid-among-giants",
    };
    const giants = Array.from({ length: 3 }, (_, index) => ({
      ...valid,
      dispatch_id: `giant-${index}`,
      blob: "y".repeat(400_000),
    }));
    const crowd = Array.from({ length: 2_000 }, (_, index) => ({
      type: "user.created",
      dispatch_id: `crowd-${index}`,
    }));

    const outcome = await signedProcess(batchBody([...giants, valid, ...crowd]));

    expect(outcome.kind).toBe("processed");
    expectAccountedFor(outcome, 2_004);
    expect(await harness.getEvent("valid-among-giants")).toMatchObject({ reason: "invalid_response" });
    expect(await harness.getEvent("giant-0")).toBeUndefined();
  });
});
