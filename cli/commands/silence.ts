import { userInfo } from "node:os";
import { type Silence, silenceState } from "../../lambdas/silences/silence-record.js";
import { createSilence, endSilence, listSilences } from "../../lambdas/silences/silence-store.js";
import type { CommandLine } from "../command-line.js";
import { NotFoundError } from "../errors.js";
import { formatTable, plural } from "../format.js";
import type { SilenceRequest } from "../silence-line.js";
import { formatAgo, formatDuration, formatTime } from "../time.js";
import { type CommandContext, type CommandOutput, suggest } from "./context.js";

/** `silence add|list|end`: silences for planned work, in the state table. */
export async function runSilence(context: CommandContext, line: CommandLine): Promise<CommandOutput> {
  const request = line.silence as SilenceRequest;
  if (request.action === "add")
    return addSilence(context, request, request.by ?? (await whoIsCalling(context)));
  if (request.action === "end")
    return finishSilence(context, request.id, request.by ?? (await whoIsCalling(context)));
  return listSilencesCommand(context, request);
}

/**
 * Who is creating or ending a silence when `--by` does not say: against a stack, the caller's ARN as STS
 * reports it (what AWS itself would log); against the local pipeline's dummy key, the OS user.
 */
async function whoIsCalling(context: CommandContext): Promise<string> {
  return (await context.resources.callerIdentity?.()) ?? operatorName();
}

/** The OS user name, for the local pipeline. */
export function operatorName(): string {
  try {
    return userInfo().username || "unknown";
  } catch {
    return process.env.USER ?? "unknown";
  }
}

const silenceTable = (context: CommandContext) => ({
  client: context.resources.dynamodb,
  stateTableName: context.resources.stateTableName,
});

/** A silence for `--json`: times as ISO, and its state at the CLI's "now". */
export function toSilenceJson(silence: Silence, nowMs: number) {
  return {
    id: silence.id,
    app_id: silence.appId,
    hook: silence.hook,
    state: silenceState(silence, nowMs),
    starts_at: new Date(silence.startsAtMs).toISOString(),
    ends_at: new Date(silence.endsAtMs).toISOString(),
    reason: silence.reason,
    created_by: silence.createdBy,
    created_at: new Date(silence.createdAtMs).toISOString(),
    ended_by: silence.endedBy ?? null,
  };
}

const scope = (silence: Silence) =>
  `${silence.hook === "all" ? "both hooks" : `the ${silence.hook} hook`} of app ${silence.appId}`;

async function addSilence(
  context: CommandContext,
  request: Extract<SilenceRequest, { action: "add" }>,
  createdBy: string,
): Promise<CommandOutput> {
  const silence = await createSilence(silenceTable(context), { ...request, createdBy }, context.nowMs);
  const text = [
    `Silence ${silence.id} created: pages of ${scope(silence)} are held`,
    `from ${formatTime(silence.startsAtMs)} to ${formatTime(silence.endsAtMs)} (${formatDuration(silence.endsAtMs - silence.startsAtMs)}).`,
    `By ${silence.createdBy}: ${silence.reason}`,
    "Bursts are still stored, counted and listed (npx hookwatch bursts); one still open when the silence",
    "ends is paged then, naming this silence; one that ends while silenced sends nothing.",
    `End it early: ${suggest(context.resources, `silence end ${silence.id}`)}`,
  ].join("\n");
  return { text, json: { silence: toSilenceJson(silence, context.nowMs) } };
}

async function finishSilence(context: CommandContext, id: string, by: string): Promise<CommandOutput> {
  const outcome = await endSilence(silenceTable(context), id, by, context.nowMs);
  if (outcome.kind === "not-found") {
    throw new NotFoundError(
      `no silence ${id}: ${suggest(context.resources, "silence list --all")} lists them`,
    );
  }
  const json = { ended: outcome.kind === "ended", silence: toSilenceJson(outcome.silence, context.nowMs) };
  if (outcome.kind === "already-ended") {
    return {
      text: `Silence ${id} had already ended at ${formatTime(outcome.silence.endsAtMs)}; nothing changed.`,
      json,
    };
  }
  return {
    text: [
      `Silence ${id} ended at ${formatTime(context.nowMs)} by ${by}: pages of ${scope(outcome.silence)} go out again.`,
      "A burst it held that is still open is paged at the next recovery run (within a minute).",
    ].join("\n"),
    json,
  };
}

async function listSilencesCommand(
  context: CommandContext,
  request: Extract<SilenceRequest, { action: "list" }>,
): Promise<CommandOutput> {
  const { nowMs } = context;
  const silences = (await listSilences(silenceTable(context)))
    .filter((silence) => request.appIds === undefined || request.appIds.includes(silence.appId))
    .filter((silence) => request.all || silenceState(silence, nowMs) !== "ended")
    .sort((a, b) => b.startsAtMs - a.startsAtMs || a.id.localeCompare(b.id));
  const json = { silences: silences.map((silence) => toSilenceJson(silence, nowMs)) };
  if (silences.length === 0) {
    return { text: request.all ? "No silences are stored." : "No silence is active or pending.", json };
  }
  const notes = [
    `${plural(silences.length, "silence")}${request.all ? " (ended ones kept 30 days)" : ", active or pending (--all: also ended ones)"}.`,
  ];
  return { text: `${formatSilenceTable(silences, nowMs)}\n\n${notes.join("\n")}`, json };
}

export function formatSilenceTable(silences: readonly Silence[], nowMs: number): string {
  return formatTable(
    [
      { heading: "ID", value: (silence: Silence) => silence.id },
      { heading: "STATE", value: (silence) => silenceState(silence, nowMs) },
      { heading: "APP", value: (silence) => silence.appId },
      { heading: "HOOK", value: (silence) => silence.hook },
      { heading: "FROM", value: (silence) => formatTime(silence.startsAtMs) },
      {
        heading: "UNTIL",
        value: (silence) => `${formatTime(silence.endsAtMs)} (${formatAgo(silence.endsAtMs, nowMs)})`,
      },
      {
        heading: "BY",
        value: (silence) =>
          silence.endedBy === undefined
            ? silence.createdBy
            : `${silence.createdBy}, ended by ${silence.endedBy}`,
      },
      { heading: "REASON", value: (silence) => silence.reason },
    ],
    silences,
  );
}
