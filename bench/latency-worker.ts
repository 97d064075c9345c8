import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import { DEFAULT_BURST_RULE } from "../lambdas/runtime/config.js";
import type { Hook } from "../lambdas/runtime/hooks.js";
import { WEBHOOK_HEADERS } from "../lambdas/webhook/webhook-message.js";
import { startLocalPipeline } from "../local/local-pipeline.js";
import { createPreludeSigner, type PreludeSigner, type ServedJwks } from "../local/prelude-signer.js";
import { batchBody, migrationFailure, stepUpFailure } from "../test/helpers/prelude-events.js";

// A child process: the local pipeline runs once per process (its handlers read the environment at import).

export interface LatencyRequest {
  readonly bursts: number;
  /** Epoch ms after which no further burst starts; the result says how many were measured. */
  readonly deadlineMs: number;
}

export type LatencyResponse =
  | {
      readonly ok: true;
      readonly latenciesMs: readonly number[];
      /** The same crossings, to the PagerDuty stand-in's incident through the delivery function. */
      readonly deliveryLatenciesMs: readonly number[];
      readonly requested: number;
      readonly deviations: readonly string[];
    }
  | { readonly ok: false; readonly error: string };

const HOOKS: readonly Hook[] = ["migration", "step-up"];
/** Groups prepared at a time. */
const CHUNK = 10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads the pager file as it grows and answers when a trigger page for a group has arrived. */
async function watchPager(file: string) {
  const seen = new Set<string>();
  let offset = 0;
  let partial = "";
  const readNew = async () => {
    const handle = await open(file, "r").catch(() => undefined);
    if (!handle) return;
    try {
      const { size } = await handle.stat();
      if (size <= offset) return;
      const buffer = Buffer.alloc(size - offset);
      await handle.read(buffer, 0, buffer.length, offset);
      offset = size;
      const lines = (partial + buffer.toString("utf8")).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines.filter(Boolean)) {
        const attributes = (
          JSON.parse(line) as { MessageAttributes: Record<string, { StringValue?: string }> }
        ).MessageAttributes;
        if (attributes.event_action?.StringValue === "trigger")
          seen.add(`${attributes.app_id?.StringValue}#${attributes.hook?.StringValue}`);
      }
    } finally {
      await handle.close();
    }
  };
  return {
    async waitForTrigger(group: string, timeoutMs: number): Promise<number> {
      const deadline = performance.now() + timeoutMs;
      while (performance.now() < deadline) {
        await readNew();
        if (seen.has(group)) return performance.now();
        await sleep(5);
      }
      throw new Error(`no page for ${group} within ${timeoutMs} ms`);
    },
  };
}

async function post(url: string, signer: PreludeSigner, body: string): Promise<void> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      [WEBHOOK_HEADERS.signature]: signer.sign(body),
      [WEBHOOK_HEADERS.signatureKeyId]: signer.kid,
    },
    body,
  });
  if (response.status !== 200)
    throw new Error(`the webhook endpoint answered ${response.status}: ${await response.text()}`);
}

const failure = (hook: Hook, id: string) =>
  (hook === "migration" ? migrationFailure : stepUpFailure)({
    dispatch_id: id,
    occurred_at: new Date().toISOString(),
  });

async function measure(request: LatencyRequest): Promise<LatencyResponse> {
  // One burst per app and hook: a group pages once until its burst resolves, so each burst needs its own group.
  const apps = Array.from(
    { length: Math.ceil(request.bursts / HOOKS.length) },
    (_, i) => `app_lat_${String(i).padStart(2, "0")}`,
  );
  const signers = new Map(apps.map((app) => [app, createPreludeSigner()]));
  const served: ServedJwks[] = [];
  const jwksUrls: Record<string, string> = {};
  for (const [app, signer] of signers) {
    const jwks = await signer.serveJwks();
    served.push(jwks);
    jwksUrls[app] = jwks.url;
  }
  const root = await mkdtemp(join(tmpdir(), "hookwatch-bench-"));
  const pipeline = await startLocalPipeline({
    root,
    port: 0,
    appIds: apps,
    jwksUrls,
    logLevel: "ERROR",
    log: () => undefined,
    printPage: () => undefined,
  });
  try {
    // The threshold the pipeline's processor runs with: the stack's, as it set it in this process's environment.
    const thresholdOf = (hook: Hook) =>
      Number(process.env[hook === "migration" ? "MIGRATION_BURST_THRESHOLD" : "STEP_UP_BURST_THRESHOLD"]) ||
      DEFAULT_BURST_RULE.threshold;
    const groups = apps.flatMap((app) => HOOKS.map((hook) => ({ app, hook }))).slice(0, request.bursts);
    const url = pipeline.state.webhookUrl;
    const signerOf = (app: string) => signers.get(app) as PreludeSigner;

    const client = new DynamoDBClient({});
    const counted = async ({ app, hook }: { app: string; hook: Hook }) => {
      const { Items = [] } = await client.send(
        new QueryCommand({
          TableName: pipeline.state.stateTableName,
          KeyConditionExpression: "pk = :pk AND begins_with(sk, :cand)",
          ExpressionAttributeValues: { ":pk": { S: `GROUP#${app}#${hook}` }, ":cand": { S: "CAND#" } },
          ConsistentRead: true,
        }),
      );
      return Items.reduce((sum, item) => sum + (item.entries?.SS?.length ?? 0), 0) >= thresholdOf(hook) - 1;
    };
    const pager = await watchPager(pipeline.state.pagerFile);
    const latenciesMs: number[] = [];
    const deliveryLatenciesMs: number[] = [];
    const pagerDuty = pipeline.destinations.pagerDuty;
    // Polled beside the pager file: when the stand-in opened the incident for this group's burst.
    const incidentOpened = async (app: string, hook: Hook, timeoutMs: number): Promise<number> => {
      const deadline = performance.now() + timeoutMs;
      while (performance.now() < deadline) {
        if (
          pagerDuty?.incidents.some((incident) => incident.dedupKey.startsWith(`hookwatch:${app}:${hook}:`))
        )
          return performance.now();
        await sleep(5);
      }
      throw new Error(`no PagerDuty incident for ${app}/${hook} within ${timeoutMs} ms`);
    };
    // In chunks, so that the failures before the threshold are seconds old, well inside the window, at the crossing.
    for (let first = 0; first < groups.length && Date.now() < request.deadlineMs; first += CHUNK) {
      const chunk = groups.slice(first, first + CHUNK);
      await Promise.all(
        chunk.map(({ app, hook }) =>
          post(
            url,
            signerOf(app),
            batchBody(
              Array.from({ length: thresholdOf(hook) - 1 }, (_, i) =>
                failure(hook, `lat-${app}-${hook}-${i}`),
              ),
              app,
            ),
          ),
        ),
      );
      const countedBy = Date.now() + 60_000;
      for (const group of chunk) {
        while (!(await counted(group))) {
          if (Date.now() > countedBy) {
            throw new Error(
              `the failures before the threshold of ${group.app}/${group.hook} were never counted`,
            );
          }
          await sleep(50);
        }
      }
      for (const { app, hook } of chunk) {
        if (Date.now() > request.deadlineMs) break;
        const body = batchBody([failure(hook, `lat-${app}-${hook}-crossing`)], app);
        const started = performance.now();
        await post(url, signerOf(app), body);
        const [paged, delivered] = await Promise.all([
          pager.waitForTrigger(`${app}#${hook}`, 30_000),
          pagerDuty === undefined ? Promise.resolve(undefined) : incidentOpened(app, hook, 30_000),
        ]);
        latenciesMs.push(paged - started);
        if (delivered !== undefined) deliveryLatenciesMs.push(delivered - started);
      }
    }
    client.destroy();
    return {
      ok: true,
      latenciesMs,
      deliveryLatenciesMs,
      requested: request.bursts,
      deviations: pipeline.deviations,
    };
  } finally {
    await pipeline.stop();
    for (const jwks of served) await jwks.close();
    await rm(root, { recursive: true, force: true });
  }
}

process.once("message", (request: LatencyRequest) => {
  const reply = (response: LatencyResponse) => process.send?.(response, () => process.exit(0));
  measure(request).then(reply, (error: unknown) =>
    reply({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
