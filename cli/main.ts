import { createInterface } from "node:readline/promises";
import { type CommandLine, type CommandName, parseCommandLine } from "./command-line.js";
import { runBursts } from "./commands/bursts.js";
import type { CommandRunner } from "./commands/context.js";
import { runDlq } from "./commands/dlq.js";
import { runEvent } from "./commands/event.js";
import { runEvents } from "./commands/events.js";
import { intakeCommand } from "./commands/intake.js";
import { runSelftestCommand } from "./commands/selftest.js";
import { runSilence } from "./commands/silence.js";
import { runStatus } from "./commands/status.js";
import { EXIT_CODE, explainError, type TargetHint } from "./errors.js";
import { createProgressLine } from "./progress.js";
import { DEFAULT_STACK_NAME, discoverResources, type Resources } from "./resources.js";

const RUNNERS: Record<CommandName, CommandRunner> = {
  events: runEvents,
  event: runEvent,
  bursts: runBursts,
  rejected: intakeCommand("rejected"),
  quarantine: intakeCommand("quarantined"),
  conflicts: intakeCommand("conflicts"),
  dlq: runDlq,
  silence: runSilence,
  status: runStatus,
  selftest: runSelftestCommand,
};

/** Where the CLI writes and what it reads from its surroundings; tests pass their own. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean };
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => number;
  /** Asks a yes/no question; absent when stdin or stderr is not a terminal. */
  readonly confirm?: (question: string) => Promise<boolean>;
}

export function processIo(): CliIo {
  const interactive = process.stdin.isTTY === true && process.stderr.isTTY === true;
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    env: process.env,
    now: Date.now,
    ...(interactive ? { confirm: askOnTerminal } : {}),
  };
}

async function askOnTerminal(question: string): Promise<boolean> {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await terminal.question(question)).trim());
  } finally {
    terminal.close();
  }
}

/** Runs one command line and returns its exit code; everything it prints goes through `io`. */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  const nowMs = io.now();
  let target: TargetHint = { local: args.includes("--local"), stack: DEFAULT_STACK_NAME };
  let resources: Resources | undefined;
  const progress = createProgressLine(io.stderr);
  try {
    const parsed = parseCommandLine(args, nowMs);
    if (parsed.kind === "help") {
      io.stdout.write(`${parsed.text}\n`);
      return EXIT_CODE.ok;
    }
    const line: CommandLine = parsed.commandLine;
    target = { local: line.local, stack: line.stack };
    resources = await discoverResources({ local: line.local, stack: line.stack, cwd: io.cwd, env: io.env });
    const output = await RUNNERS[line.command](
      {
        resources,
        nowMs,
        clock: io.now,
        cwd: io.cwd,
        progress: progress.report,
        ...(io.confirm ? { confirm: io.confirm } : {}),
      },
      line,
    );
    progress.done();
    io.stdout.write(line.json ? `${JSON.stringify(output.json, null, 2)}\n` : `${output.text}\n`);
    return output.exitCode ?? EXIT_CODE.ok;
  } catch (error) {
    progress.done();
    const { message, exitCode } = explainError(error, target);
    io.stderr.write(`hookwatch: ${message}\n`);
    if (io.env.HOOKWATCH_DEBUG && error instanceof Error) io.stderr.write(`${error.stack}\n`);
    return exitCode;
  } finally {
    // Idle keep-alive sockets would hold the process open after the answer is printed.
    resources?.dynamodb.destroy();
    resources?.sqs.destroy();
  }
}
