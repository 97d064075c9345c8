import { checkNewSilence, SILENCE_SCOPES, type SilenceScope } from "../lambdas/silences/silence-record.js";
import { UsageError } from "./errors.js";
import { parseDuration, parseIsoTime } from "./time.js";

/** What `silence add|list|end` asks for, checked before anything is read or written. */
export type SilenceRequest =
  | {
      readonly action: "add";
      readonly appId: string;
      readonly hook: SilenceScope;
      readonly startsAtMs: number;
      readonly endsAtMs: number;
      readonly reason: string;
      /** `--by`; absent, the runner takes the OS user name. */
      readonly by?: string;
    }
  | { readonly action: "list"; readonly all: boolean; readonly appIds?: readonly string[] }
  | { readonly action: "end"; readonly id: string; readonly by?: string };

export interface SilenceOptions {
  readonly app?: readonly string[];
  readonly hook?: string;
  readonly for?: string;
  readonly until?: string;
  readonly start?: string;
  readonly reason?: string;
  readonly by?: string;
  readonly all?: boolean;
}

const ACTIONS = ["add", "list", "end"] as const;
const SILENCE_ID = /^sil_[0-9a-z]{10}$/;

/** Reads `silence <action> …`; every mistake is a UsageError and nothing has been written. */
export function parseSilenceLine(
  positionals: readonly string[],
  options: SilenceOptions,
  nowMs: number,
): SilenceRequest {
  const [action, ...rest] = positionals;
  if (action === undefined || !(ACTIONS as readonly string[]).includes(action)) {
    throw new UsageError(
      `\`silence\` takes add, list or end${action === undefined ? "" : `, not "${action}"`}: hookwatch help silence`,
    );
  }
  const only = (allowed: readonly (keyof SilenceOptions)[]) => {
    const extra = (Object.keys(options) as (keyof SilenceOptions)[]).filter(
      (name) => options[name] !== undefined && !allowed.includes(name),
    );
    if (extra.length > 0) {
      throw new UsageError(
        `\`silence ${action}\` does not take ${extra.map((name) => `--${name}`).join(", ")}`,
      );
    }
  };
  if (action === "list") {
    only(["app", "all"]);
    if (rest.length > 0) throw new UsageError(`\`silence list\` takes no argument, not "${rest.join(" ")}"`);
    return {
      action,
      all: options.all === true,
      ...(options.app === undefined ? {} : { appIds: options.app }),
    };
  }
  if (action === "end") {
    only(["by"]);
    const [id, ...more] = rest;
    if (id === undefined || more.length > 0 || !SILENCE_ID.test(id)) {
      throw new UsageError(
        "`silence end` takes exactly one silence id (sil_ and 10 characters; see silence list)",
      );
    }
    return { action, id, ...(options.by === undefined ? {} : { by: options.by }) };
  }
  only(["app", "hook", "for", "until", "start", "reason", "by"]);
  if (rest.length > 0) throw new UsageError(`\`silence add\` takes no argument, not "${rest.join(" ")}"`);
  return parseAdd(options, nowMs);
}

function parseAdd(options: SilenceOptions, nowMs: number): SilenceRequest {
  const apps = options.app ?? [];
  if (apps.length !== 1) {
    throw new UsageError("`silence add` needs exactly one --app ID: the Prelude app whose pages to hold");
  }
  if (options.hook === undefined) {
    throw new UsageError(`\`silence add\` needs --hook: one of ${SILENCE_SCOPES.join(", ")}`);
  }
  if (!(SILENCE_SCOPES as readonly string[]).includes(options.hook)) {
    throw new UsageError(`--hook "${options.hook}" is unknown: use one of ${SILENCE_SCOPES.join(", ")}`);
  }
  if (options.for !== undefined && options.until !== undefined) {
    throw new UsageError("--for and --until both set the end: pass one of them");
  }
  const startsAtMs = options.start === undefined ? nowMs : isoTime("--start", options.start);
  const endsAtMs =
    options.for !== undefined
      ? startsAtMs + duration(options.for)
      : options.until === undefined
        ? undefined
        : isoTime("--until", options.until);
  const request = {
    appId: apps[0] as string,
    hook: options.hook,
    startsAtMs,
    endsAtMs,
    reason: options.reason,
    createdBy: options.by ?? "operator",
  };
  try {
    checkNewSilence(request, nowMs);
  } catch (error) {
    throw new UsageError(`no silence created: ${(error as Error).message}`);
  }
  return {
    action: "add",
    appId: request.appId,
    hook: options.hook as SilenceScope,
    startsAtMs,
    endsAtMs: endsAtMs as number,
    reason: (options.reason as string).trim(),
    ...(options.by === undefined ? {} : { by: options.by }),
  };
}

function duration(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms === 0) {
    throw new UsageError(`--for "${text}" is not a length of time: 90s, 30m, 2h, 1d or 1w`);
  }
  return ms;
}

function isoTime(option: string, text: string): number {
  const ms = parseIsoTime(text);
  if (ms === undefined)
    throw new UsageError(`${option} "${text}" is not an ISO 8601 time (2026-11-20T22:00:00Z)`);
  return ms;
}
