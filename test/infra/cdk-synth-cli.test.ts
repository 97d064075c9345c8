import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CDK = join(ROOT, "node_modules", "aws-cdk", "bin", "cdk");
const DENY_NETWORK = fileURLToPath(new URL("deny-network.cjs", import.meta.url));
const BUNDLE_LIMIT_BYTES = 1_500_000;

const work = mkdtempSync(join(tmpdir(), "hookwatch-synth-"));
const networkLog = join(work, "network.log");

/** No AWS credentials or profile, no instance metadata, no version check, no connection beyond loopback. */
function offlineEnvironment(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("AWS_")));
  return {
    ...env,
    AWS_CONFIG_FILE: join(work, "no-aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: join(work, "no-aws-credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    CDK_DISABLE_VERSION_CHECK: "1",
    NODE_OPTIONS: `--require ${DENY_NETWORK}`,
    HOOKWATCH_NETWORK_LOG: networkLog,
  };
}

function cdkSynth(args: string[], outdir: string) {
  return spawnSync(process.execPath, [CDK, "synth", "--quiet", "--output", outdir, ...args], {
    cwd: ROOT,
    env: offlineEnvironment(),
    encoding: "utf8",
    timeout: 170_000,
  });
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the network guard of these tests", () => {
  it("records and refuses a connection beyond loopback", () => {
    const probeLog = join(work, "probe.log");

    const probe = spawnSync(
      process.execPath,
      ["-e", "fetch('https://registry.npmjs.org/').then(() => process.exit(0), () => process.exit(3))"],
      {
        env: { ...offlineEnvironment(), HOOKWATCH_NETWORK_LOG: probeLog },
        encoding: "utf8",
        timeout: 30_000,
      },
    );

    expect(probe.status).toBe(3);
    expect(readFileSync(probeLog, "utf8")).toContain("registry.npmjs.org:443");
  });
});

describe("npx cdk synth, run by the real CLI", () => {
  const outdir = join(work, "cdk.out");
  let result: ReturnType<typeof cdkSynth>;
  beforeAll(() => {
    result = cdkSynth(["-c", "appIds=app_cli"], outdir);
  }, 180_000);

  it("passes with no credentials, no network and zero unacknowledged cdk-nag findings", () => {
    expect(result.stderr).not.toMatch(/AwsSolutions-|Serverless-|ValidationFailed/);
    expect(result.status, result.stderr).toBe(0);
    expect(existsSync(join(outdir, "Hookwatch.template.json"))).toBe(true);
    expect(existsSync(networkLog) ? readFileSync(networkLog, "utf8") : "").toBe("");
  });

  it("bundles each function as one minified ESM file with a source map that loads in Node", () => {
    const assets = readdirSync(outdir).filter((name) => name.startsWith("asset."));
    expect(assets).toHaveLength(3);

    for (const asset of assets) {
      const bundle = join(outdir, asset, "index.mjs");
      expect(statSync(bundle).size).toBeLessThan(BUNDLE_LIMIT_BYTES);
      expect(existsSync(`${bundle}.map`)).toBe(true);
      const code = readFileSync(bundle, "utf8");
      expect(code.length / code.split("\n").length, "minified").toBeGreaterThan(1000);
      expect(code).toContain("sourceMappingURL=index.mjs.map");

      const loaded = execFileSync(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          `const m = await import(${JSON.stringify(bundle)}); console.log(typeof m.handler);`,
        ],
        {
          encoding: "utf8",
          env: {
            ...offlineEnvironment(),
            AWS_REGION: "us-east-1",
            EVENTS_TABLE_NAME: "events",
            STATE_TABLE_NAME: "state",
            PAGING_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:paging",
            PRELUDE_APP_IDS: "app_cli",
            VERIFICATION_TOKEN_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:t-AbC123",
            POWERTOOLS_LOG_LEVEL: "SILENT",
            NODE_NO_WARNINGS: "1",
          },
        },
      );
      expect(loaded.trim(), asset).toBe("function");
    }
  });

  it("fails on a bad setting with a message that names it", () => {
    const failed = cdkSynth(
      ["-c", "appIds=app_cli", "-c", "stepUpBurstThreshold=many"],
      join(work, "bad.out"),
    );

    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toContain(
      "stepUpBurstThreshold must be a whole number of failures from 1 to 10000",
    );
    expect(failed.stderr).not.toMatch(/\n\s+at .*\.ts:\d+/);
  });
});
