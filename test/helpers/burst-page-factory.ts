import type { BurstPage, PageSample } from "../../lambdas/pages/burst-page.js";

/** A step-up failure as Prelude reports it. */
export const STEP_UP_SAMPLE: PageSample = {
  key: "dsp_01JDA7K2M9QW4ZP3X8T6B5N2C1",
  reason: "request_failed",
  occurred_at: "2026-11-21T09:14:03.512Z",
  dispatch_id: "dsp_01JDA7K2M9QW4ZP3X8T6B5N2C1",
  correlation_id: "corr_8f2a41d0",
  user_id: "usr_01JC9Z3T8V0K2M4N6P8Q0R2S4T",
  session_id: "ses_01JDA7JZ5X7Y9A1B3C5D7E9F1G",
  scope: "payments.transfer",
};

/** Step-up samples: the third has no dispatch_id (the front end passed none). */
export const STEP_UP_SAMPLES: readonly PageSample[] = [
  STEP_UP_SAMPLE,
  {
    key: "dsp_01JDA7KB4R6T8V0X2Z4B6D8F0H",
    reason: "invalid_status_code",
    occurred_at: "2026-11-21T09:14:21.090Z",
    dispatch_id: "dsp_01JDA7KB4R6T8V0X2Z4B6D8F0H",
    correlation_id: "corr_c13e77b9",
    user_id: "usr_01JC9Z4A2C4E6G8J0L2N4Q6S8U",
    session_id: "ses_01JDA7K9W1Y3A5C7E9G1J3L5N7",
    scope: "account.email.change",
  },
  {
    key: "event_id:evt_01JDA7KQ0S2U4W6Y8A0C2E4G6J",
    reason: "request_failed",
    occurred_at: "2026-11-21T09:14:58.207Z",
    correlation_id: "corr_5d90e2aa",
    user_id: "usr_01JC9Z5B3D5F7H9K1M3P5R7T9V",
    session_id: "ses_01JDA7KN8Q0S2U4W6Y8A0C2E4G",
    scope: "payments.transfer",
  },
];

/** A live step-up page: 12 transport failures (9 + 3) and 2 response-level ones in under a minute. */
export function buildTriggerPage(overrides: Partial<BurstPage> = {}): BurstPage {
  return {
    action: "trigger",
    dedupKey: "hookwatch:54e9ujn:step-up:2026-11-21T09:14:03.512Z",
    appId: "54e9ujn",
    hook: "step-up",
    delayed: false,
    windowStart: "2026-11-21T09:14:03.512Z",
    windowEnd: "2026-11-21T09:14:58.207Z",
    firstFailureAt: "2026-11-21T09:14:03.512Z",
    lastFailureAt: "2026-11-21T09:14:58.207Z",
    transportCount: 12,
    countsByReason: { request_failed: 9, invalid_status_code: 3, invalid_status: 2 },
    responseCount: 2,
    threshold: 5,
    windowSeconds: 60,
    quietSeconds: 60,
    sampleEvents: STEP_UP_SAMPLES,
    at: "2026-11-21T09:14:58.731Z",
    ...overrides,
  };
}

/** The same burst found two hours late in a redelivered backlog. */
export function buildDelayedPage(overrides: Partial<BurstPage> = {}): BurstPage {
  return buildTriggerPage({ delayed: true, at: "2026-11-21T11:20:00.000Z", ...overrides });
}

/** The resolve of the burst: it lasted 12m 37s and counted 340 transport failures in all. */
export function buildResolvePage(overrides: Partial<BurstPage> = {}): BurstPage {
  return buildTriggerPage({
    action: "resolve",
    windowEnd: "2026-11-21T09:26:40.118Z",
    lastFailureAt: "2026-11-21T09:26:40.118Z",
    transportCount: 340,
    countsByReason: { request_failed: 301, invalid_status_code: 39, invalid_status: 5 },
    responseCount: 5,
    at: "2026-11-21T09:27:41.002Z",
    ...overrides,
  });
}
