import { parseArgs } from "node:util";
import { z } from "zod";
import { DEFAULT_SOAK_OPTIONS, runSoak } from "./run-soak.js";
import { formatSummary } from "./summary.js";

// Node 20 is what the local tools may run on; the deployed functions run Node 24.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const usage = `npm run soak -- [--seed <text>] [--batches <n>] [--seconds <live seconds>] [--fault-rate <0..1>]
                    [--crash-rate <0..1>] [--poison-rate <0..1>] [--outage-seconds <n>]
                    [--jwks-outage-seconds <n>] [--large-posts <n>] [--json]

Drives the local pipeline, with as many concurrent processor invocations as the stack allows, with a
seeded workload while DynamoDB and SNS fail underneath, the processor crashes and a JWKS goes down, then
checks every invariant against what was sent. Defaults: seed ${DEFAULT_SOAK_OPTIONS.seed}, ${DEFAULT_SOAK_OPTIONS.batches} batches, ${DEFAULT_SOAK_OPTIONS.liveSeconds} s live,
fault rate ${DEFAULT_SOAK_OPTIONS.faultRate}, crash rate ${DEFAULT_SOAK_OPTIONS.crashRate}, poison rate ${DEFAULT_SOAK_OPTIONS.poisonRate}, outage ${DEFAULT_SOAK_OPTIONS.outageSeconds} s,
JWKS outage ${DEFAULT_SOAK_OPTIONS.jwksOutageSeconds} s, ${DEFAULT_SOAK_OPTIONS.largePosts} large posts.`;

const rate = z.coerce.number().min(0).max(1);
const flags = z.object({
  seed: z.string().min(1).optional(),
  batches: z.coerce.number().int().min(20).max(100_000).optional(),
  seconds: z.coerce.number().int().min(5).max(3_600).optional(),
  "fault-rate": rate.optional(),
  "crash-rate": rate.optional(),
  "poison-rate": rate.optional(),
  "outage-seconds": z.coerce.number().int().min(0).max(600).optional(),
  "jwks-outage-seconds": z.coerce.number().int().min(0).max(600).optional(),
  "large-posts": z.coerce.number().int().min(0).max(1_000).optional(),
  json: z.boolean().optional(),
  help: z.boolean().optional(),
});

async function main(): Promise<number> {
  let parsed: z.infer<typeof flags>;
  try {
    const { values } = parseArgs({
      options: {
        seed: { type: "string" },
        batches: { type: "string" },
        seconds: { type: "string" },
        "fault-rate": { type: "string" },
        "crash-rate": { type: "string" },
        "poison-rate": { type: "string" },
        "outage-seconds": { type: "string" },
        "jwks-outage-seconds": { type: "string" },
        "large-posts": { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
    parsed = flags.parse(values);
  } catch (error) {
    const message =
      error instanceof z.ZodError
        ? error.issues.map((issue) => `--${issue.path.join(".")}: ${issue.message}`).join("; ")
        : (error as Error).message;
    console.error(`${message}\n\n${usage}`);
    return 2;
  }
  if (parsed.help) {
    console.log(usage);
    return 0;
  }
  const result = await runSoak({
    ...(parsed.seed === undefined ? {} : { seed: parsed.seed }),
    ...(parsed.batches === undefined ? {} : { batches: parsed.batches }),
    ...(parsed.seconds === undefined ? {} : { liveSeconds: parsed.seconds }),
    ...(parsed["fault-rate"] === undefined ? {} : { faultRate: parsed["fault-rate"] }),
    ...(parsed["crash-rate"] === undefined ? {} : { crashRate: parsed["crash-rate"] }),
    ...(parsed["poison-rate"] === undefined ? {} : { poisonRate: parsed["poison-rate"] }),
    ...(parsed["outage-seconds"] === undefined ? {} : { outageSeconds: parsed["outage-seconds"] }),
    ...(parsed["jwks-outage-seconds"] === undefined
      ? {}
      : { jwksOutageSeconds: parsed["jwks-outage-seconds"] }),
    ...(parsed["large-posts"] === undefined ? {} : { largePosts: parsed["large-posts"] }),
    log: (line) => console.error(`soak: ${line}`),
  });
  console.log(parsed.json ? JSON.stringify(result, null, 2) : formatSummary(result));
  return result.held ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`soak failed: ${(error as Error).stack ?? error}`);
    process.exit(2);
  },
);
