import type { CommandLine } from "../command-line.js";
import { UsageError } from "../errors.js";
import type { Progress, ReadTables } from "../queries.js";
import { APP_IDS_VARIABLE, type Resources, STACK_OUTPUT } from "../resources.js";

/** What every command runs with. */
export interface CommandContext {
  readonly resources: Resources;
  /** "Now" for relative times and `--since` durations; one value per run. */
  readonly nowMs: number;
  readonly progress: Progress;
  /** Asks a yes/no question on the terminal; absent when there is no terminal to ask on. */
  readonly confirm?: (question: string) => Promise<boolean>;
  /** The live clock, for commands that wait (`selftest` polls with a deadline). */
  readonly clock: () => number;
  /** Where the CLI runs: `selftest --local` finds the pipeline's `.local` folder from here. */
  readonly cwd: string;
}

/** A command's result: text for people, a JSON document for `--json`, and the exit code. */
export interface CommandOutput {
  readonly text: string;
  readonly json: unknown;
  readonly exitCode?: number;
}

export type CommandRunner = (context: CommandContext, line: CommandLine) => Promise<CommandOutput>;

export function readTables(resources: Resources): ReadTables {
  return {
    client: resources.dynamodb,
    eventsTableName: resources.eventsTableName,
    stateTableName: resources.stateTableName,
  };
}

/** The apps to read: `--app`, else those the target names; events are partitioned by app, so one is needed. */
export function requireAppIds(line: CommandLine, resources: Resources): readonly string[] {
  const appIds = line.appIds ?? resources.appIds;
  if (appIds === undefined || appIds.length === 0) {
    throw new UsageError(
      `which Prelude apps? ${resources.origin} does not say: pass --app ID, set ${APP_IDS_VARIABLE}=id1,id2, or add an ${STACK_OUTPUT.appIds} output to the stack`,
    );
  }
  return appIds;
}

/** A command to suggest in output, aimed at the same target: `npx hookwatch dlq redrive --local`. */
export function suggest(resources: Resources, command: string): string {
  return `npx hookwatch ${command}${resources.selector === "" ? "" : ` ${resources.selector}`}`;
}
