import type { WorkloadRules } from "../../soak/workload.js";

/** The soak's own rules (short windows, different per hook), for tests of its workload and checker. */
export const SOAK_TEST_RULES = {
  migration: { threshold: 4, windowSeconds: 6, quietSeconds: 6 },
  "step-up": { threshold: 3, windowSeconds: 4, quietSeconds: 5 },
} as const satisfies WorkloadRules;
export const SOAK_TEST_APPS = ["app_one", "app_two"] as const;
/** "Now" for a test workload. */
export const SOAK_TEST_START = Date.parse("2026-11-20T10:00:00Z");
