import { execFile } from "node:child_process";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { type Bundle, type BundleName, buildBundles } from "./bundles.js";
import { percentile } from "./stats.js";

const run = promisify(execFile);

/** Fresh Node processes per bundle. */
export const COLD_START_SAMPLES = 30;

// Imports the bundle and nothing else; reports the import time and whether it opened anything on the network.
const PROBE = `
const started = performance.now();
await import(process.env.BENCH_BUNDLE_URL);
const ms = performance.now() - started;
const network = process.getActiveResourcesInfo().filter((name) => /TCP|UDP|GETADDRINFO|PIPE/.test(name));
process.stdout.write(JSON.stringify({ ms, network }));
`;

export interface ColdStartResult {
  readonly name: BundleName;
  readonly entry: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly sourceMapBytes: number;
  readonly nodeOptions: string;
  readonly samples: number;
  readonly initMedianMs: number;
  readonly initP90Ms: number;
  /** Network resources left open by an import; any at all would be a bug in the handler's init. */
  readonly networkAtImport: readonly string[];
}

/** What each handler reads at cold start: dummy values, loopback or unroutable endpoints, dummy credentials. */
function dummyEnvironment(bundle: Bundle): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_OPTIONS: bundle.nodeOptions,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "bench",
    AWS_SECRET_ACCESS_KEY: "bench",
    AWS_ENDPOINT_URL: "http://127.0.0.1:9",
    // Lambda runs Node 24, where the SDK prints no Node-version notice at client creation.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    EVENTS_TABLE_NAME: "bench-events",
    STATE_TABLE_NAME: "bench-state",
    IDEMPOTENCY_TABLE_NAME: "bench-idempotency",
    PAGING_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:bench-paging",
    PRELUDE_APP_IDS: "app_bench",
    // The delivery function's: one PagerDuty destination (its secret is read at the first page, not at init).
    DESTINATION: JSON.stringify({
      type: "pagerduty",
      name: "bench",
      routingKeySecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:bench-AbCdEf",
    }),
    DEAD_LETTER_QUEUE_URL: "http://127.0.0.1:9/123456789012/bench-dlq",
    POWERTOOLS_LOG_LEVEL: "INFO",
    BENCH_BUNDLE_URL: pathToFileURL(bundle.file).href,
  };
}

async function probe(bundle: Bundle): Promise<{ ms: number; network: string[] }> {
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", PROBE], {
    env: dummyEnvironment(bundle),
  });
  return JSON.parse(stdout) as { ms: number; network: string[] };
}

/**
 * Bundle sizes and module initialisation time: each bundle is imported by `samples` fresh Node
 * processes, one after another and interleaved across bundles, so machine noise hits all alike.
 */
export async function measureColdStart(
  outdir: string,
  samples = COLD_START_SAMPLES,
): Promise<ColdStartResult[]> {
  const bundles = buildBundles(outdir);
  const times = new Map<BundleName, number[]>(bundles.map((bundle) => [bundle.name, []]));
  const network = new Map<BundleName, Set<string>>(bundles.map((bundle) => [bundle.name, new Set()]));
  // One untimed round first: the OS file cache, not the bundle, would otherwise pay for the first sample.
  for (const bundle of bundles) await probe(bundle);
  for (let round = 0; round < samples; round++) {
    for (const bundle of bundles) {
      const result = await probe(bundle);
      times.get(bundle.name)?.push(result.ms);
      for (const name of result.network) network.get(bundle.name)?.add(name);
    }
  }
  return bundles.map((bundle) => {
    const ms = times.get(bundle.name) ?? [];
    return {
      name: bundle.name,
      entry: bundle.entry,
      bytes: bundle.bytes,
      gzipBytes: bundle.gzipBytes,
      sourceMapBytes: bundle.sourceMapBytes,
      nodeOptions: bundle.nodeOptions,
      samples: ms.length,
      initMedianMs: percentile(ms, 50),
      initP90Ms: percentile(ms, 90),
      networkAtImport: [...(network.get(bundle.name) ?? [])],
    };
  });
}
