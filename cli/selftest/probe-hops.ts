import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { sha256Hex } from "../../lambdas/webhook/event-validation.js";
import type { PreludeSigner } from "../../local/prelude-signer.js";
import { readTables } from "../commands/context.js";
import { type IntakeRow, listIntakeRecords, type Progress } from "../queries.js";
import { failed, type HopResult, notVerifiable, verified } from "./hop-result.js";
import {
  buildProbeBody,
  createThrowawaySigner,
  type Probe,
  type ProbeResponse,
  probeBodyBytes,
  sendProbe,
  signProbe,
} from "./probe-request.js";
import type { SelftestTarget } from "./selftest-target.js";

export const PROBE_HOPS = {
  json: "probe: application/json",
  charset: "probe: application/json; charset=utf-8",
  nearMaximum: "probe: body near the queue maximum",
} as const;

/** SQS's largest message size; a queue below it refuses larger Prelude batches. */
const SQS_MAXIMUM_MESSAGE_SIZE = 1_048_576;
// The gateway's clock and ours differ; records are looked for from a little before the first probe.
const CLOCK_SKEW_MS = 5 * 60_000;
const POLL_INTERVAL_MS = 1_000;
// Non-ASCII text in the small probes: the processor's SHA-256 of the body proves it arrived byte for byte.
const UTF8_TEXT = "Zürich, São Paulo, 東京 ✓";

export interface ProbeOptions {
  readonly runId: string;
  /** How long to wait for the probes' records. */
  readonly waitMs: number;
  readonly clock: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly progress: Progress;
  readonly fetch?: typeof fetch;
}

/** A probe the gateway queued, waiting for its record. */
export interface Queued {
  readonly probe: Probe;
  readonly requestId: string;
  readonly bytes: number;
}

/**
 * Signed POSTs that travel gateway → queue → processor and must land as rejected records with their own
 * request id: one as `application/json`, one with a charset parameter, one near the queue's maximum size.
 */
export async function checkProbes(target: SelftestTarget, options: ProbeOptions): Promise<HopResult[]> {
  const signer = createThrowawaySigner(options.runId);
  const probes = [
    signProbe(signer, PROBE_HOPS.json, "application/json", smallBody(target, options.runId, "json")),
    signProbe(
      signer,
      PROBE_HOPS.charset,
      "application/json; charset=utf-8",
      smallBody(target, options.runId, "charset"),
    ),
  ];
  const results: HopResult[] = [];
  const sizing = await sizeNearMaximum(target, signer, options.runId);
  if ("probe" in sizing) probes.push(sizing.probe);
  else results.push(sizing.result);

  const sentAt = options.clock();
  const queued: Queued[] = [];
  for (const probe of probes) {
    options.progress(`selftest: posting ${probe.hop}`);
    const outcome = await post(target, probe, options.fetch);
    if ("requestId" in outcome) queued.push(outcome);
    else results.push(outcome);
  }
  results.push(...(await awaitRecords(target, queued, sentAt, options, sizing)));
  return results;
}

function smallBody(target: SelftestTarget, runId: string, probe: string): string {
  return buildProbeBody({ appId: target.appId, runId, probe, text: UTF8_TEXT });
}

type Sizing = { probe: Probe; maximum: number } | { result: HopResult };

/** The near-maximum probe, sized from the queue's MaximumMessageSize as SQS reports it now. */
async function sizeNearMaximum(
  target: SelftestTarget,
  signer: PreludeSigner,
  runId: string,
): Promise<Sizing> {
  const hop = PROBE_HOPS.nearMaximum;
  const queueUrl = await target.resources.queueUrl();
  const { Attributes = {} } = await target.resources.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["MaximumMessageSize"] }),
  );
  const maximum = Number(Attributes.MaximumMessageSize);
  if (!Number.isInteger(maximum) || maximum <= 0) {
    return {
      result: notVerifiable(
        hop,
        target.resources.local
          ? "the local queue does not report its MaximumMessageSize, so the largest body it accepts is unknown"
          : `SQS reported no MaximumMessageSize for ${queueUrl}`,
      ),
    };
  }
  const body = buildProbeBody(
    { appId: target.appId, runId, probe: "near-maximum" },
    probeBodyBytes(maximum, signer),
  );
  return { probe: signProbe(signer, hop, "application/json", body), maximum };
}

async function post(
  target: SelftestTarget,
  probe: Probe,
  fetchImpl: typeof fetch | undefined,
): Promise<Queued | HopResult> {
  const bytes = Buffer.byteLength(probe.body);
  let response: ProbeResponse;
  try {
    response = await sendProbe(target.webhookUrl, probe, fetchImpl);
  } catch (error) {
    const cause =
      error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    return failed(
      probe.hop,
      `could not POST to ${target.webhookUrl}: ${cause}`,
      "check the webhook URL is up (and npm start, locally)",
    );
  }
  if (response.status === 200 && response.requestId !== undefined) {
    return { probe, requestId: response.requestId, bytes };
  }
  return failed(
    probe.hop,
    `the gateway answered ${response.status} to a ${bytes}-byte POST: ${response.body.slice(0, 160)}`,
    refusalFix(response.status, probe),
  );
}

function refusalFix(status: number, probe: Probe): string {
  switch (status) {
    case 200:
      return "the gateway answered without a request id: check the POST integration's response template";
    case 415:
      return `the POST integration has no request template for "${probe.contentType}", so Prelude's webhooks sent with it are refused: deploy the current version (infra/webhook-ingress.ts)`;
    case 400:
      return "SQS or the gateway's validation refused the message: compare the queue's MaximumMessageSize with the body size, and read the access log's integrationError";
    case 403:
      return "no POST method at this URL: check the WebhookUrl (stage and path)";
    default:
      return "the gateway could not queue the POST: read the access log's integrationError and the Api5xx alarm";
  }
}

type FoundRecords = Map<string, { kind: "rejected" | "quarantined"; row: IntakeRow }>;

/** Each queued probe's verdict, from its stored record or its absence once the wait is over. */
async function awaitRecords(
  target: SelftestTarget,
  queued: readonly Queued[],
  sentAt: number,
  options: ProbeOptions,
  sizing: Sizing,
): Promise<HopResult[]> {
  const found = await pollRecords(target, queued, sentAt, options);
  return queued.map((entry) => {
    const record = found.get(entry.requestId);
    if (record === undefined) return missing(target, entry, options.waitMs);
    const result = judgeProbeRecord(entry, record.kind, record.row);
    const sized =
      result.verdict === "verified" && entry.probe.hop === PROBE_HOPS.nearMaximum && "maximum" in sizing;
    return sized ? verified(result.hop, `${result.detail} (${describeMaximum(sizing.maximum)})`) : result;
  });
}

/** Polls the state table's rejected and quarantined records until every queued probe has one, or the deadline. */
async function pollRecords(
  target: SelftestTarget,
  queued: readonly Queued[],
  sentAt: number,
  options: ProbeOptions,
): Promise<FoundRecords> {
  const found: FoundRecords = new Map();
  const waiting = () => queued.some((entry) => !found.has(entry.requestId));
  const deadline = sentAt + options.waitMs;
  const tables = readTables(target.resources);
  while (waiting()) {
    const range = { sinceMs: sentAt - CLOCK_SKEW_MS, nowMs: options.clock() + CLOCK_SKEW_MS, limit: 1000 };
    for (const kind of ["rejected", "quarantined"] as const) {
      for (const row of await listIntakeRecords(tables, kind, range)) {
        const requestId = String(row.request_id ?? "");
        if (queued.some((entry) => entry.requestId === requestId) && !found.has(requestId)) {
          found.set(requestId, { kind, row });
        }
      }
    }
    if (!waiting() || options.clock() >= deadline) break;
    options.progress(`selftest: waiting for the probes' records (${found.size} of ${queued.length})`);
    await options.sleep(POLL_INTERVAL_MS);
  }
  return found;
}

function describeMaximum(maximum: number): string {
  const below =
    maximum < SQS_MAXIMUM_MESSAGE_SIZE
      ? `; below SQS's ${SQS_MAXIMUM_MESSAGE_SIZE}, so larger Prelude batches are refused with 400`
      : "";
  return `queue maximum ${maximum} bytes${below}`;
}

/** What the stored record says about the path the probe took. */
export function judgeProbeRecord(entry: Queued, kind: "rejected" | "quarantined", row: IntakeRow): HopResult {
  const { hop } = entry.probe;
  const reason = row.reason;
  const request = `request ${entry.requestId}`;
  if (kind === "quarantined") {
    return failed(
      hop,
      `${request} was accepted without a valid signature and quarantined ("${reason}")`,
      "signature verification is off: deploy with -c signatureVerification=on (the default) before Prelude sends real traffic",
    );
  }
  if (row.body_sha256 !== sha256Hex(entry.probe.body)) {
    return failed(
      hop,
      `${request} reached the processor altered: ${String(row.body_bytes)} bytes stored, ${entry.bytes} sent`,
      "the POST's request template must pass the body byte for byte ($util.urlEncode($input.body)): deploy the current version",
    );
  }
  const kid = entry.probe.headers["X-Webhook-Signature-Key-Id"] ?? "";
  if (/missing X-Webhook-Signature/.test(reason)) {
    return failed(
      hop,
      `${request} was rejected, but the processor saw no signature ("${reason}")`,
      "the request template must pass X-Webhook-Signature as the Signature attribute: deploy the current version",
    );
  }
  if (!reason.includes(kid)) {
    return failed(
      hop,
      `${request} was rejected, but not for the probe's key id ("${reason}")`,
      "the request template must pass X-Webhook-Signature-Key-Id as the SignatureKeyId attribute: deploy the current version",
    );
  }
  return verified(
    hop,
    `${entry.bytes}-byte POST queued as ${request}, rejected by the processor with its own body hash, reason: ${reason}`,
  );
}

function missing(target: SelftestTarget, entry: Queued, waitMs: number): HopResult {
  return failed(
    entry.probe.hop,
    `queued as request ${entry.requestId}, but no rejected record for it within ${Math.round(waitMs / 1000)} s`,
    target.resources.local
      ? "the local processor is not consuming the queue or fails on it: read the npm start terminal"
      : "the processor is not consuming the queue or fails on every try: check `npx hookwatch status` (queue depth), the ProcessorErrors alarm and the processor's log group (a JWKS it cannot fetch makes it retry); or try again with a longer --wait",
  );
}
