import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_APP_ID, VERIFICATION_TOKEN_FILE } from "./local-files.js";
import { LOCAL_DIRECTORY, readPipelineState } from "./pipeline-state.js";
import { loadOrCreatePreludeSigner } from "./prelude-signer.js";
import { buildScenario, isScenario, type SampleRequest, SCENARIOS } from "./send-samples.js";

const DEFAULT_URL = "http://127.0.0.1:3000/webhook";

const USAGE = `Usage: npm run send -- <scenario> [--url URL] [--app ID] [--unsigned]

Posts Prelude webhook batches, signed with the development key in .local like Prelude signs them.

Scenarios:
${Object.entries(SCENARIOS)
  .map(([name, what]) => `  ${name.padEnd(11)} ${what}`)
  .join("\n")}

Options:
  --url <url>   where to send (default: the running npm start, else ${DEFAULT_URL})
  --app <id>    the batch's app_id (default: the first app of the running pipeline, else ${DEFAULT_APP_ID})
  --unsigned    no signature headers (for a deployed stack with signature verification off)`;

class SendError extends Error {
  override name = "SendError";
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: {
      url: { type: "string" },
      app: { type: "string" },
      unsigned: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
  });
  const scenario = positionals[0];
  if (values.help || scenario === undefined) {
    console.log(USAGE);
    return values.help ? 0 : 1;
  }
  if (!isScenario(scenario) || positionals.length > 1) {
    throw new SendError(
      `unknown scenario "${positionals.join(" ")}": one of ${Object.keys(SCENARIOS).join(", ")}`,
    );
  }

  const running = await readPipelineState();
  const url = values.url ?? running?.webhookUrl ?? DEFAULT_URL;
  const appId = values.app ?? running?.appIds[0] ?? DEFAULT_APP_ID;
  const directory = join(process.cwd(), LOCAL_DIRECTORY);
  const signer = values.unsigned ? undefined : await loadOrCreatePreludeSigner(directory);
  const verificationToken =
    scenario === "activate"
      ? await readVerificationToken(join(directory, VERIFICATION_TOKEN_FILE))
      : undefined;
  const requests = buildScenario(scenario, {
    appId,
    ...(signer === undefined ? {} : { signer }),
    ...(verificationToken === undefined ? {} : { verificationToken }),
  });

  console.log(`${scenario}: ${SCENARIOS[scenario]}`);
  // The activation GET carries no signature.
  if (scenario !== "activate") {
    console.log(
      signer === undefined
        ? "unsigned: no X-Webhook-Signature header"
        : `signed rsassa-pss-sha256 with the development key (kid ${signer.kid.slice(0, 12)}…)`,
    );
  }
  if (signer !== undefined && values.url !== undefined && !isLoopback(url)) {
    console.log(
      "note: a deployed stack verifies against Prelude's JWKS, not the development key: expect a rejection unless it runs with signatureVerification=off and you pass --unsigned",
    );
  }

  let allOk = true;
  for (const request of requests) {
    allOk = (await sendOne(url, request)) && allOk;
  }
  return allOk ? 0 : 1;
}

async function sendOne(url: string, request: SampleRequest): Promise<boolean> {
  const target = new URL(url);
  if (request.query !== undefined) target.search = new URLSearchParams(request.query).toString();
  // The token is a secret: the printed URL leaves the query out.
  console.log(`\n→ ${request.method} ${url}  ${request.description}`);
  if (request.dispatchIds.length > 0) console.log(`  dispatch_id ${request.dispatchIds.join(", ")}`);
  let response: Response;
  try {
    response = await fetch(target, {
      method: request.method,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    if (cause === "ECONNREFUSED") {
      throw new SendError(
        `nothing answers at ${url}: start the local pipeline with npm start (or pass --url)`,
      );
    }
    throw new SendError(`could not reach ${url}: ${(error as Error).message}`);
  }
  const text = (await response.text()).trim();
  console.log(`← ${response.status} ${text}`);
  console.log(`  expect: ${request.expect}`);
  // Prelude counts anything but exactly 200 as a failed delivery.
  return response.status === 200;
}

async function readVerificationToken(file: string): Promise<string> {
  try {
    return (await readFile(file, "utf8")).trim();
  } catch {
    throw new SendError(
      "no verification token yet: npm start creates .local/verification-token on its first run",
    );
  }
}

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "127.0.0.1" || host === "localhost" || host === "[::1]";
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const expected =
      error instanceof SendError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    console.error(`send: ${(error as Error).message}`);
    if (!expected) console.error(error);
    process.exit(1);
  },
);
