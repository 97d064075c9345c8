import { randomBytes } from "node:crypto";
import { hostname, userInfo } from "node:os";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { CommandLine } from "../command-line.js";
import { EXIT_CODE } from "../errors.js";
import { formatTable } from "../format.js";
import { type HopResult, VERDICT_LABEL, type Verdict } from "../selftest/hop-result.js";
import { runSelftest } from "../selftest/run-selftest.js";
import { discoverSelftestTarget } from "../selftest/selftest-target.js";
import { formatTime } from "../time.js";
import { type CommandContext, type CommandOutput, requireAppIds, suggest } from "./context.js";

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `selftest`: proves the deployed path hop by hop; exits 1 when any hop failed. */
export async function runSelftestCommand(context: CommandContext, line: CommandLine): Promise<CommandOutput> {
  const { resources } = context;
  const [appId] = requireAppIds(line, resources);
  const target = await discoverSelftestTarget({
    resources,
    appId: appId ?? "",
    stackName: line.stack,
    cwd: context.cwd,
  });
  const startedMs = context.clock();
  const runId = `${new Date(startedMs).toISOString().replace(/[-:]|\.\d+Z$/g, "")}-${randomBytes(3).toString("hex")}`;
  try {
    const hops = await runSelftest(target, {
      runId,
      waitMs: line.waitMs,
      page: line.page,
      sentBy: () => describeCaller(resources.local),
      clock: context.clock,
      sleep: wait,
      progress: context.progress,
    });
    const counts = countVerdicts(hops);
    const json = {
      target: resources.origin,
      webhook_url: target.webhookUrl,
      app_id: target.appId,
      run_id: runId,
      started_at: new Date(startedMs).toISOString(),
      hops: hops.map((hop) => ({
        hop: hop.hop,
        verdict: hop.verdict,
        detail: hop.detail,
        fix: hop.fix ?? null,
      })),
      counts,
      page_sent: line.page,
    };
    const text = [
      `hookwatch selftest: ${resources.origin}, ${formatTime(startedMs)}, app ${target.appId}, run ${runId}`,
      "",
      formatHops(hops),
      "",
      summarize(counts, line.page, suggest(resources, "selftest --page")),
    ].join("\n");
    return { text, json, exitCode: counts.failed > 0 ? EXIT_CODE.failed : EXIT_CODE.ok };
  } finally {
    target.close();
  }
}

/** One line per hop: its verdict, its name, and what was seen (with the fix, for a failed hop). */
export function formatHops(hops: readonly HopResult[]): string {
  return formatTable(
    [
      { heading: "RESULT", value: (hop: HopResult) => VERDICT_LABEL[hop.verdict] },
      { heading: "HOP", value: (hop) => hop.hop },
      {
        heading: "DETAIL",
        value: (hop) => (hop.fix === undefined ? hop.detail : `${hop.detail}. Fix: ${hop.fix}`),
      },
    ],
    hops,
  );
}

function countVerdicts(hops: readonly HopResult[]): Record<Verdict, number> {
  const counts: Record<Verdict, number> = { verified: 0, failed: 0, not_verifiable: 0 };
  for (const hop of hops) counts[hop.verdict] += 1;
  return counts;
}

function summarize(counts: Record<Verdict, number>, paged: boolean, pageCommand: string): string {
  const verdict = counts.failed > 0 ? "Some hops FAILED: fix them and run again." : "No hop failed.";
  const page = paged
    ? ""
    : ` Nothing was sent to on-call; \`${pageCommand}\` also sends a TEST page and its resolve.`;
  return `${counts.verified} verified, ${counts.failed} failed, ${counts.not_verifiable} not verifiable. ${verdict}${page}`;
}

/** Who runs the test, for the TEST page: the AWS caller's ARN, or the local user. */
async function describeCaller(local: boolean): Promise<string> {
  if (local) return `${userInfo().username} on ${hostname()} (local pipeline)`;
  const sts = new STSClient({});
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Arn ?? "unknown AWS caller";
  } catch {
    return "unknown AWS caller";
  } finally {
    sts.destroy();
  }
}
