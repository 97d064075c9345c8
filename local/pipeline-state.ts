import { readFile } from "node:fs/promises";
import { join } from "node:path";

/** Everything the local pipeline git-ignores lives here: keys, persisted data, the pager file, this state. */
export const LOCAL_DIRECTORY = ".local";
export const PIPELINE_STATE_FILE = join(LOCAL_DIRECTORY, "pipeline.json");

/**
 * What a running `npm start` tells other local tools (the CLI's `--local`, `npm run send`, tests):
 * where each stand-in listens and what the resources are called. Written at start, removed at stop.
 */
export interface LocalPipelineState {
  readonly pid: number;
  readonly startedAt: string;
  readonly region: string;
  readonly webhookUrl: string;
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  readonly snsEndpoint: string;
  readonly eventsTableName: string;
  readonly stateTableName: string;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly pagerFile: string;
  /** The SNS stand-in's paging topic (`npx hookwatch selftest --local --page` publishes to it). */
  readonly pagingTopicArn?: string;
  readonly appIds: readonly string[];
  /** Each delivery destination's queues (`npx hookwatch dlq --destination NAME --local`). */
  readonly deliveries: readonly { name: string; queueUrl: string; deadLetterQueueUrl: string }[];
}

/** The running local pipeline's state, or undefined when none is running. */
export async function readPipelineState(directory = process.cwd()): Promise<LocalPipelineState | undefined> {
  try {
    return JSON.parse(await readFile(join(directory, PIPELINE_STATE_FILE), "utf8")) as LocalPipelineState;
  } catch {
    return undefined;
  }
}

/** Whether a process with this pid exists (EPERM: it does, but belongs to someone else). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
