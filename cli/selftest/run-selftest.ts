import type { Progress } from "../queries.js";
import { checkActivation } from "./challenge-hops.js";
import { checkAlarms, checkQueueDepth, HEALTH_HOPS } from "./health-hops.js";
import { type HopResult, runHop } from "./hop-result.js";
import { PAGE_FIX, PAGE_HOP, sendTestPage } from "./page-hop.js";
import { checkPagingPermissions } from "./permission-hops.js";
import { checkProbes } from "./probe-hops.js";
import type { SelftestTarget } from "./selftest-target.js";

export interface SelftestOptions {
  /** Names this run's throwaway key id and test dedup key. */
  readonly runId: string;
  /** How long to wait for the probes' records. */
  readonly waitMs: number;
  /** Also send a TEST page and its resolve. */
  readonly page: boolean;
  /** Who runs the test, for the TEST page. */
  readonly sentBy: () => Promise<string>;
  readonly clock: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly progress: Progress;
  readonly fetch?: typeof fetch;
}

/**
 * Every hop, in the order a webhook takes them. The alarms are read first, before the probes' own
 * rejections can raise MessagesRejected; the queues last, so a probe that was dead-lettered shows there.
 */
export async function runSelftest(target: SelftestTarget, options: SelftestOptions): Promise<HopResult[]> {
  const { progress } = options;
  progress("selftest: reading the alarms");
  const alarms = await runHop(HEALTH_HOPS.alarms, "check the stack's alarms in CloudWatch", () =>
    checkAlarms(target, options.clock()),
  );
  progress("selftest: activation GET");
  const activation = await runHop("activation", "check the webhook URL and the challenge function", () =>
    checkActivation(target, options.fetch),
  );
  const probes = await runHop("probes", "check the webhook URL, the queue and the processor", () =>
    checkProbes(target, options),
  );
  progress("selftest: simulating the functions' permissions");
  const permissions = await checkPagingPermissions(target);
  const queues = await runHop(HEALTH_HOPS.queues, "check the queues in the SQS console", () =>
    checkQueueDepth(target),
  );
  const page = options.page
    ? await runHop(PAGE_HOP, PAGE_FIX, async () =>
        sendTestPage(target, {
          runId: options.runId,
          nowMs: options.clock(),
          sentBy: await options.sentBy(),
        }),
      )
    : [];
  return [...activation, ...probes, ...permissions, ...queues, ...alarms, ...page];
}
