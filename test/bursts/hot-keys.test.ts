import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processMessage } from "../../lambdas/processor/process-message.js";
import { DEFAULT_BURST_RULE } from "../../lambdas/runtime/config.js";
import { countItemWrites } from "../helpers/item-write-counter.js";
import { batchBody, migrationFailure } from "../helpers/prelude-events.js";
import { createHarness, type Harness } from "../helpers/processor-harness.js";

// The full 100,000 runs in CI (65 s on an idle 2-core machine, minutes under load); 10,000 locally unless HOT_KEY_EVENTS says otherwise.
const EVENTS = Number(process.env.HOT_KEY_EVENTS ?? (process.env.CI ? 100_000 : 10_000));
const PER_MESSAGE = 100;
/** The stack's processor runs at most this many invocations at once. */
const CONCURRENCY = 5;
const BASE = Date.parse("2026-11-20T10:00:00Z");

let harness: Harness;
beforeAll(async () => {
  harness = await createHarness();
});
afterAll(() => harness.close());

describe("no hot key", () => {
  it(`writes no item more than about threshold times during a ${EVENTS}-event burst in one minute`, {
    timeout: 600_000,
  }, async () => {
    const writes = countItemWrites(harness.client);
    const messages = Array.from({ length: EVENTS / PER_MESSAGE }, (_, message) =>
      batchBody(
        Array.from({ length: PER_MESSAGE }, (_, index) =>
          migrationFailure({
            dispatch_id: `hot-${message}-${index}`,
            occurred_at: new Date(
              BASE + Math.floor(((message * PER_MESSAGE + index) / EVENTS) * 60_000),
            ).toISOString(),
          }),
        ),
      ),
    );
    harness.clock.now = BASE + 60_000;

    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < messages.length) {
          const body = messages[next++] as string;
          await processMessage(harness.deps({ verifier: undefined }), {
            body,
            requestId: `req-${next}`,
            receivedAt: BASE,
          });
        }
      }),
    );

    const eventWrites = [...writes.counts].filter(([key]) => key.startsWith(`${harness.tables.events}:`));
    const stateWrites = [...writes.counts].filter(([key]) => key.startsWith(`${harness.tables.state}:`));
    expect(eventWrites).toHaveLength(EVENTS);
    expect(Math.max(...eventWrites.map(([, count]) => count))).toBe(1);
    const [hottest, count] = stateWrites.reduce((top, entry) => (entry[1] > top[1] ? entry : top));
    console.info(
      `hottest state item: ${hottest} with ${count} writes; ${stateWrites.length} state items written`,
    );
    expect(count).toBeLessThanOrEqual(DEFAULT_BURST_RULE.threshold + CONCURRENCY + 2);
    expect(harness.pager.pages).toHaveLength(1);
  });
});
