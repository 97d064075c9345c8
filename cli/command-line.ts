import { type ParseArgsConfig, parseArgs } from "node:util";
import { HOOKS, type Hook } from "../lambdas/runtime/hooks.js";
import type { ReasonClass } from "../lambdas/webhook/event-validation.js";
import { UsageError } from "./errors.js";
import { REASON_CLASSES } from "./queries.js";
import { APP_IDS_VARIABLE, DEFAULT_STACK_NAME } from "./resources.js";
import { parseSilenceLine, type SilenceRequest } from "./silence-line.js";
import { parseSince } from "./time.js";

type OptionSpecs = NonNullable<ParseArgsConfig["options"]>;

const GLOBAL_OPTIONS = {
  local: { type: "boolean" },
  stack: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies OptionSpecs;

const COMMAND_OPTIONS = {
  hook: { type: "string" },
  app: { type: "string", multiple: true },
  reason: { type: "string" },
  since: { type: "string" },
  limit: { type: "string" },
  open: { type: "boolean" },
  yes: { type: "boolean", short: "y" },
  wait: { type: "string" },
  page: { type: "boolean" },
  destination: { type: "string" },
  for: { type: "string" },
  until: { type: "string" },
  start: { type: "string" },
  by: { type: "string" },
  all: { type: "boolean" },
} as const satisfies OptionSpecs;

type CommandOption = keyof typeof COMMAND_OPTIONS;

interface CommandSpec {
  readonly synopsis: string;
  readonly summary: string;
  readonly options: readonly CommandOption[];
}

/** Every command, its options and its line in the help. */
export const COMMANDS = {
  events: {
    synopsis: "events [--hook migration|step-up] [--app ID] [--reason R] [--since 1h|ISO] [--limit N]",
    summary:
      "latest stored events, newest first (time, hook, reason, dispatch_id, correlation_id, user, scope)",
    options: ["hook", "app", "reason", "since", "limit"],
  },
  event: {
    synopsis: "event <dispatch_id>",
    summary: "one stored event: every attribute, the raw payload, where its key came from, conflicts",
    options: [],
  },
  bursts: {
    synopsis: "bursts [--open] [--since 1d|ISO] [--hook H] [--app ID] [--limit N]",
    summary: "bursts: window, counts by reason, page and resolve times, dedup key",
    options: ["open", "since", "hook", "app", "limit"],
  },
  rejected: {
    synopsis: "rejected [--since 24h|ISO] [--limit N]",
    summary: "POSTs refused as not Prelude's (signature, unknown app), and why",
    options: ["since", "limit"],
  },
  quarantine: {
    synopsis: "quarantine [--since 24h|ISO] [--limit N]",
    summary: "input from Prelude that could not be stored (not JSON, invalid event), and why",
    options: ["since", "limit"],
  },
  conflicts: {
    synopsis: "conflicts [--since 24h|ISO] [--limit N]",
    summary: "later deliveries of a stored key with other content: kept aside, not counted toward bursts",
    options: ["since", "limit"],
  },
  dlq: {
    synopsis: "dlq [--destination NAME] [--limit N]  |  dlq redrive [--destination NAME] [--yes]",
    summary:
      "peek at the dead-letter queue (of the webhooks, or of a delivery destination); `redrive` moves its messages back to their queue",
    options: ["limit", "yes", "destination"],
  },
  silence: {
    synopsis:
      'silence add --app ID --hook migration|step-up|all --for 2h|--until ISO [--start ISO] --reason "…" [--by NAME]  |  silence list [--app ID] [--all]  |  silence end <id> [--by NAME]',
    summary:
      "hold pages for planned work: bursts are still stored, counted and listed; a burst still open when the silence ends pages then",
    options: ["app", "hook", "for", "until", "start", "reason", "by", "all"],
  },
  status: {
    synopsis: "status [--app ID]",
    summary:
      "queue and dead-letter depth, open bursts, the last hour's events by hook and reason, rejections, quarantines and conflicts",
    options: ["app"],
  },
  selftest: {
    synopsis: "selftest [--app ID] [--wait 90s] [--page]",
    summary:
      "proves the deployed path hop by hop (activation GET, signed probes through gateway, queue and processor, paging permissions, queues, alarms); --page also sends a TEST page and its resolve",
    options: ["app", "wait", "page"],
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;
const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

export const DEFAULT_LIMIT: Record<CommandName, number> = {
  events: 20,
  event: 1,
  bursts: 20,
  rejected: 50,
  quarantine: 50,
  conflicts: 50,
  dlq: 10,
  silence: 0,
  status: 0,
  selftest: 0,
};
const MAX_LIMIT = 1000;
/** `rejected`, `quarantine` and `conflicts` look back one day unless told otherwise. */
export const DEFAULT_INTAKE_SINCE = "24h";
const LOOKS_BACK_ONE_DAY: readonly CommandName[] = ["rejected", "quarantine", "conflicts"];

/** A command line, checked: everything a command needs to run. */
export interface CommandLine {
  readonly command: CommandName;
  readonly local: boolean;
  readonly stack: string;
  readonly json: boolean;
  readonly appIds?: readonly string[];
  readonly hook?: Hook;
  readonly reason?: string;
  readonly reasonClass?: ReasonClass;
  readonly since?: { readonly text: string; readonly ms: number };
  readonly limit: number;
  readonly open: boolean;
  readonly yes: boolean;
  readonly redrive: boolean;
  readonly dispatchId?: string;
  /** `selftest`: how long to wait for the probes' records, in milliseconds. */
  readonly waitMs: number;
  /** `selftest --page`: also send a TEST page and its resolve. */
  readonly page: boolean;
  /** `dlq --destination NAME`: the dead-letter queue of that delivery destination instead of the webhooks'. */
  readonly destination?: string;
  readonly silence?: SilenceRequest;
}

export type ParsedCommandLine =
  | { readonly kind: "run"; readonly commandLine: CommandLine }
  | { readonly kind: "help"; readonly text: string };

const GLOBAL_HELP = `Global options:
  --local        use the local pipeline started by \`npm start\` (reads .local/pipeline.json)
  --stack NAME   use the deployed CloudFormation stack NAME (default ${DEFAULT_STACK_NAME}); AWS credentials
                 and region come from the usual places (AWS_PROFILE, AWS_REGION, ...)
  --json         machine-readable output on stdout (one JSON document)
  -h, --help     this help

Apps: --app ID (repeatable or comma-separated) picks apps; otherwise the local pipeline's apps, the
stack's AppIds output or ${APP_IDS_VARIABLE}.
Times: --since takes 90s, 30m, 1h, 2d, 1w or an ISO 8601 time (UTC unless it has a zone).
Exit codes: 0 ok (also when nothing is found), 1 failure (\`selftest\`: a hop failed), 2 usage error,
3 \`event\`: no such event.`;

export function helpText(command?: CommandName): string {
  if (command !== undefined) {
    const spec = COMMANDS[command];
    return `Usage: hookwatch ${spec.synopsis} [--local | --stack NAME] [--json]\n\n${spec.summary}\n\n${GLOBAL_HELP}`;
  }
  const lines = COMMAND_NAMES.map((name) => `  ${COMMANDS[name].synopsis}\n      ${COMMANDS[name].summary}`);
  return `Usage: hookwatch <command> [options] [--local | --stack NAME] [--json]\n\nCommands:\n${lines.join("\n")}\n\n${GLOBAL_HELP}`;
}

const ALL_OPTIONS = { ...GLOBAL_OPTIONS, ...COMMAND_OPTIONS };
const APP_ID = /^[\w-]+$/;

function firstPositional(args: readonly string[]): string | undefined {
  // A lenient first pass finds the command wherever the global options are.
  const { tokens = [] } = parseArgs({
    args: [...args],
    options: ALL_OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  return tokens.find((token) => token.kind === "positional")?.value;
}

function rephrase(error: unknown, command: CommandName): UsageError {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  const option = /'(-[^' ]+)/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option) {
    const known = COMMANDS[command].options.map((name) => `--${name}`);
    return new UsageError(
      `unknown option ${option} for \`${command}\` (it takes ${known.length > 0 ? known.join(", ") : "no options"}, plus --local, --stack, --json)`,
    );
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option) {
    return new UsageError(`${option} needs a value`);
  }
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    return new UsageError(`unexpected argument for \`${command}\`: ${message}`);
  }
  return new UsageError(message);
}

function parseLimit(text: string | undefined, command: CommandName): number {
  if (text === undefined) return DEFAULT_LIMIT[command];
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > MAX_LIMIT) {
    throw new UsageError(`--limit "${text}" must be a whole number from 1 to ${MAX_LIMIT}`);
  }
  return Number(text);
}

/** `selftest` waits this long for its probes' records unless told otherwise. */
export const DEFAULT_SELFTEST_WAIT_MS = 90_000;
const MIN_WAIT_SECONDS = 1;
const MAX_WAIT_SECONDS = 900;

function parseWait(text: string | undefined): number {
  if (text === undefined) return DEFAULT_SELFTEST_WAIT_MS;
  const match = /^(\d+)(s|m)?$/.exec(text);
  const seconds = match === null ? Number.NaN : Number(match[1]) * (match[2] === "m" ? 60 : 1);
  if (!(seconds >= MIN_WAIT_SECONDS && seconds <= MAX_WAIT_SECONDS)) {
    throw new UsageError(
      `--wait "${text}" must be ${MIN_WAIT_SECONDS}s to ${MAX_WAIT_SECONDS / 60}m (90s, 2m)`,
    );
  }
  return seconds * 1000;
}

function parseHook(text: string | undefined): Hook | undefined {
  if (text === undefined) return undefined;
  const hook = HOOKS.find((candidate) => candidate === text);
  if (hook === undefined) throw new UsageError(`--hook "${text}" must be one of ${HOOKS.join(", ")}`);
  return hook;
}

function parseAppIds(values: readonly string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  const ids = values.flatMap((value) => value.split(",")).map((id) => id.trim());
  const bad = ids.find((id) => !APP_ID.test(id));
  if (bad !== undefined) {
    throw new UsageError(`--app "${bad}" is not a Prelude app id (letters, digits, '_' and '-')`);
  }
  return ids;
}

function parseStrictly(args: readonly string[], options: OptionSpecs, command: CommandName) {
  try {
    // Typed as if every option were allowed; parseArgs itself refuses those the command does not take.
    return parseArgs({
      args: [...args],
      options: options as typeof ALL_OPTIONS,
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw rephrase(error, command);
  }
}

/** Reads `argv` (without node and the script) into a command to run, or the help to print. */
export function parseCommandLine(args: readonly string[], nowMs: number): ParsedCommandLine {
  const first = firstPositional(args);
  if (first === undefined) {
    if (args.includes("--help") || args.includes("-h")) return { kind: "help", text: helpText() };
    throw new UsageError(`which command? one of ${COMMAND_NAMES.join(", ")}`);
  }
  if (first === "help") {
    const topic = args[args.indexOf("help") + 1];
    const known = COMMAND_NAMES.find((name) => name === topic);
    return { kind: "help", text: helpText(known) };
  }
  const command = COMMAND_NAMES.find((name) => name === first);
  if (command === undefined) {
    throw new UsageError(`unknown command "${first}": expected one of ${COMMAND_NAMES.join(", ")}`);
  }
  const spec: CommandSpec = COMMANDS[command];
  const options: OptionSpecs = { ...GLOBAL_OPTIONS };
  for (const name of spec.options) options[name] = COMMAND_OPTIONS[name];

  const { values, positionals: allPositionals } = parseStrictly(args, options, command);
  const positionals = allPositionals.slice(1);
  if (values.help) return { kind: "help", text: helpText(command) };
  if (values.local && values.stack !== undefined) {
    throw new UsageError(
      "--local and --stack exclude each other: pick the local pipeline or a deployed stack",
    );
  }

  let dispatchId: string | undefined;
  let redrive = false;
  if (command === "event") {
    if (positionals.length !== 1 || positionals[0] === "") {
      throw new UsageError("`event` takes exactly one argument: the event's dispatch_id (its key)");
    }
    dispatchId = positionals[0];
  } else if (command === "dlq") {
    if (positionals.length > 1 || (positionals.length === 1 && positionals[0] !== "redrive")) {
      throw new UsageError(`\`dlq\` takes no argument or \`redrive\`, not "${positionals.join(" ")}"`);
    }
    redrive = positionals[0] === "redrive";
    if (values.yes && !redrive) throw new UsageError("--yes only applies to `dlq redrive`");
    if (redrive && values.limit !== undefined)
      throw new UsageError("`dlq redrive` moves every message; --limit does not apply");
  } else if (command === "silence") {
    return { kind: "run", commandLine: silenceCommandLine(values, positionals, nowMs) };
  } else if (positionals.length > 0) {
    throw new UsageError(`\`${command}\` takes no arguments, not "${positionals.join(" ")}"`);
  }

  const reasonText = values.reason;
  if (reasonText !== undefined && reasonText.trim() === "") throw new UsageError("--reason needs a value");
  const reasonClass = REASON_CLASSES.find((name) => name === reasonText);
  const hook = parseHook(values.hook);
  const appIds = parseAppIds(values.app);
  const sinceText = values.since ?? (LOOKS_BACK_ONE_DAY.includes(command) ? DEFAULT_INTAKE_SINCE : undefined);

  return {
    kind: "run",
    commandLine: {
      command,
      local: values.local === true,
      stack: values.stack ?? DEFAULT_STACK_NAME,
      json: values.json === true,
      limit: parseLimit(values.limit, command),
      open: values.open === true,
      yes: values.yes === true,
      redrive,
      waitMs: parseWait(values.wait),
      page: values.page === true,
      ...(appIds === undefined ? {} : { appIds }),
      ...(hook === undefined ? {} : { hook }),
      ...(reasonText === undefined
        ? {}
        : reasonClass !== undefined
          ? { reasonClass }
          : { reason: reasonText }),
      ...(sinceText === undefined ? {} : { since: { text: sinceText, ms: parseSince(sinceText, nowMs) } }),
      ...(dispatchId === undefined ? {} : { dispatchId }),
      ...(values.destination === undefined ? {} : { destination: values.destination }),
    },
  };
}

type ParsedValues = ReturnType<typeof parseStrictly>["values"];

/** `silence …`: its own options, with `--hook all` and a free-text `--reason`. */
function silenceCommandLine(
  values: ParsedValues,
  positionals: readonly string[],
  nowMs: number,
): CommandLine {
  const appIds = parseAppIds(values.app);
  const { hook, for: forText, until, start, reason, by, all } = values;
  const silence = parseSilenceLine(
    positionals,
    { ...(appIds === undefined ? {} : { app: appIds }), hook, for: forText, until, start, reason, by, all },
    nowMs,
  );
  return {
    command: "silence",
    local: values.local === true,
    stack: values.stack ?? DEFAULT_STACK_NAME,
    json: values.json === true,
    limit: 0,
    open: false,
    yes: false,
    redrive: false,
    waitMs: parseWait(undefined),
    page: false,
    silence,
  };
}
