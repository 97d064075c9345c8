import { fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import {
  CreateTableCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import { powertoolsEnvironment } from "../infra/pipeline-environment.js";
import { type BurstRule, DEFAULT_BURST_RULE } from "../lambdas/runtime/config.js";
import { createTables } from "../local/create-tables.js";
import type { PreludeSigner } from "../local/prelude-signer.js";
import type { TableDefinition } from "../local/tables-from-template.js";
import type {
  Implementation,
  PhaseResult,
  PhaseSpec,
  WorkerRequest,
  WorkerResponse,
} from "./handler-plan.js";

/** What every measurement shares: one DynamoDB Local, the stack's table definitions, one signer. */
export interface BenchContext {
  readonly client: DynamoDBClient;
  readonly tableDefinitions: readonly TableDefinition[];
  readonly signer: PreludeSigner;
  /** The signer's JWKS, served on loopback. */
  readonly jwksUrl: string;
  readonly appId: string;
  /** The burst rule both implementations run with: the documented default. */
  readonly rule: BurstRule;
}

export const BENCH_APP_ID = "app_bench";
export const BENCH_RULE = DEFAULT_BURST_RULE;

export interface BenchTables {
  readonly events: string;
  readonly state: string;
  /** Powertools' idempotency table, for the baseline. */
  readonly idempotency: string;
}

/**
 * Fresh tables for one measurement, named after it: the stack's events and state tables from the
 * synthesized template, plus the table Powertools' DynamoDBPersistenceLayer expects (`id`, TTL `expiration`).
 */
export async function createBenchTables(context: BenchContext, measurement: string): Promise<BenchTables> {
  const prefix = `bench-${measurement}-${randomUUID().slice(0, 8)}`;
  const { events, state } = await createTables(
    context.client,
    context.tableDefinitions,
    (role) => `${prefix}-${role}`,
  );
  const idempotency = `${prefix}-idempotency`;
  await context.client.send(
    new CreateTableCommand({
      TableName: idempotency,
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
    }),
  );
  await waitUntilTableExists({ client: context.client, maxWaitTime: 30 }, { TableName: idempotency });
  await context.client.send(
    new UpdateTimeToLiveCommand({
      TableName: idempotency,
      TimeToLiveSpecification: { AttributeName: "expiration", Enabled: true },
    }),
  );
  return { events, state, idempotency };
}

/** The Lambda environment a handler runs with in the bench: the stack's variables, pointed at the bench's tables. */
function handlerEnvironment(context: BenchContext, tables: BenchTables): NodeJS.ProcessEnv {
  const { rule } = context;
  return {
    ...process.env,
    ...powertoolsEnvironment(),
    EVENTS_TABLE_NAME: tables.events,
    STATE_TABLE_NAME: tables.state,
    IDEMPOTENCY_TABLE_NAME: tables.idempotency,
    PAGING_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:hookwatch-bench-paging",
    PRELUDE_APP_IDS: context.appId,
    SIGNATURE_VERIFICATION: "on",
    JWKS_URL_TEMPLATE: context.jwksUrl,
    MIGRATION_BURST_THRESHOLD: String(rule.threshold),
    MIGRATION_BURST_WINDOW_SECONDS: String(rule.windowSeconds),
    MIGRATION_QUIET_SECONDS: String(rule.quietSeconds),
  };
}

export interface HandlerWorker {
  /** Runs phases through the handler, in the same process as earlier calls (warm, like a reused Lambda instance). */
  run(phases: readonly PhaseSpec[]): Promise<PhaseResult[]>;
  stop(): void;
}

/**
 * Starts one implementation's Lambda handler in a child process: fresh module state, its own CPU
 * clock, its logs discarded. Phases run one request at a time.
 */
export function startHandlerWorker(
  context: BenchContext,
  implementation: Implementation,
  tables: BenchTables,
): HandlerWorker {
  const worker = fork(fileURLToPath(new URL("./handler-worker.ts", import.meta.url)), {
    env: handlerEnvironment(context, tables),
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  let stderr = "";
  worker.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  let exited: number | null | undefined;
  worker.once("exit", (code) => {
    exited = code;
  });
  return {
    run(phases) {
      const request: WorkerRequest = {
        implementation,
        appId: context.appId,
        signingKeyPem: context.signer.privateKeyPem(),
        phases,
      };
      return new Promise((resolve, reject) => {
        if (exited !== undefined) {
          reject(new Error(`${implementation} handler worker exited with ${exited}: ${stderr}`));
          return;
        }
        const onExit = (code: number | null) =>
          reject(new Error(`${implementation} handler worker exited with ${code}: ${stderr}`));
        worker.once("exit", onExit);
        worker.once("message", (response: WorkerResponse) => {
          worker.off("exit", onExit);
          if (response.ok) resolve([...response.phases]);
          else reject(new Error(`${implementation} handler run failed: ${response.error}`));
        });
        worker.send(request);
      });
    },
    stop() {
      if (worker.connected) worker.disconnect();
    },
  };
}

/** Runs `phases` through one implementation's handler in a process of its own. */
export async function runHandler(
  context: BenchContext,
  implementation: Implementation,
  tables: BenchTables,
  phases: readonly PhaseSpec[],
): Promise<PhaseResult[]> {
  const worker = startHandlerWorker(context, implementation, tables);
  try {
    return await worker.run(phases);
  } finally {
    worker.stop();
  }
}
