import { describe, expect, it } from "vitest";
import { parseCommandLine } from "../../cli/command-line.js";
import { UsageError } from "../../cli/errors.js";
import { formatAgo, formatDuration, parseSince, utcDaysBetween } from "../../cli/time.js";

const NOW = Date.parse("2026-11-20T10:02:10Z");
const parse = (...args: string[]) => {
  const parsed = parseCommandLine(args, NOW);
  if (parsed.kind !== "run") throw new Error(`expected a command, got help`);
  return parsed.commandLine;
};
const usageError = (...args: string[]) => {
  try {
    parseCommandLine(args, NOW);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error(`${args.join(" ")} was accepted`);
};

describe("--since", () => {
  it("takes durations back from now", () => {
    expect(parseSince("90s", NOW)).toBe(NOW - 90_000);
    expect(parseSince("30m", NOW)).toBe(NOW - 1_800_000);
    expect(parseSince("1h", NOW)).toBe(NOW - 3_600_000);
    expect(parseSince("2d", NOW)).toBe(NOW - 172_800_000);
    expect(parseSince("1w", NOW)).toBe(NOW - 604_800_000);
  });

  it("takes ISO times, as UTC when they name no zone", () => {
    expect(parseSince("2026-11-20T10:00:00.000Z", NOW)).toBe(Date.parse("2026-11-20T10:00:00Z"));
    expect(parseSince("2026-11-20T10:00", NOW)).toBe(Date.parse("2026-11-20T10:00:00Z"));
    expect(parseSince("2026-11-20T12:00:00+02:00", NOW)).toBe(Date.parse("2026-11-20T10:00:00Z"));
    expect(parseSince("2026-11-20", NOW)).toBe(Date.parse("2026-11-20T00:00:00Z"));
  });

  it("refuses anything else, saying what it takes", () => {
    for (const text of ["yesterday", "1 h", "1y", "-1h", "2026-13-45", "2026-11-20T25:00:00Z", ""]) {
      expect(() => parseSince(text, NOW), text).toThrow(UsageError);
    }
    expect(() => parseSince("yesterday", NOW)).toThrow(
      `--since "yesterday" is neither a duration (90s, 30m, 1h, 2d, 1w) nor an ISO 8601 time (2026-11-20T10:00:00Z)`,
    );
  });
});

describe("times in output", () => {
  it("reads as a short duration, in the past or ahead", () => {
    expect(formatDuration(45_000)).toBe("45s");
    expect(formatDuration(130_000)).toBe("2m");
    expect(formatDuration(3_900_000)).toBe("1h 5m");
    expect(formatDuration(2 * 86_400_000 + 3_600_000)).toBe("2d 1h");
    expect(formatAgo(NOW - 12_000, NOW)).toBe("12s ago");
    expect(formatAgo(NOW + 120_000, NOW)).toBe("in 2m");
  });

  it("lists the UTC days a range touches, for the day partitions", () => {
    expect(utcDaysBetween(Date.parse("2026-11-19T23:00:00Z"), Date.parse("2026-11-21T00:30:00Z"))).toEqual([
      "2026-11-19",
      "2026-11-20",
      "2026-11-21",
    ]);
    expect(utcDaysBetween(NOW - 60_000, NOW)).toEqual(["2026-11-20"]);
  });
});

describe("the command line", () => {
  it("reads a command with its options, global options before or after it", () => {
    expect(
      parse("--local", "events", "--hook", "step-up", "--app", "a1,a2", "--app", "a3", "--limit", "5"),
    ).toEqual(
      expect.objectContaining({
        command: "events",
        local: true,
        stack: "Hookwatch",
        json: false,
        hook: "step-up",
        appIds: ["a1", "a2", "a3"],
        limit: 5,
      }),
    );
    expect(parse("events", "--json", "--stack", "Other")).toMatchObject({
      json: true,
      stack: "Other",
      limit: 20,
    });
  });

  it("tells a reason from a reason class", () => {
    expect(parse("events", "--reason", "invalid_status_code")).toMatchObject({
      reason: "invalid_status_code",
    });
    expect(parse("events", "--reason", "response")).toMatchObject({ reasonClass: "response" });
    expect(parse("events", "--reason", "response").reason).toBeUndefined();
  });

  it("gives rejected and quarantine a default look-back of 24 hours", () => {
    expect(parse("rejected").since).toEqual({ text: "24h", ms: NOW - 86_400_000 });
    expect(parse("events").since).toBeUndefined();
  });

  it("reads `event <id>` and `dlq redrive --yes`", () => {
    expect(parse("event", "mig-01")).toMatchObject({ command: "event", dispatchId: "mig-01" });
    expect(parse("dlq", "redrive", "-y")).toMatchObject({ command: "dlq", redrive: true, yes: true });
    expect(parse("dlq")).toMatchObject({ redrive: false, limit: 10 });
  });

  it("reads `selftest` with its wait and --page, sending nothing to on-call unless asked", () => {
    expect(parse("selftest")).toMatchObject({ command: "selftest", waitMs: 90_000, page: false });
    expect(parse("selftest", "--wait", "2m", "--page", "--local")).toMatchObject({
      waitMs: 120_000,
      page: true,
      local: true,
    });
    expect(parse("selftest", "--wait", "45")).toMatchObject({ waitMs: 45_000 });
    expect(usageError("selftest", "--wait", "0s")).toBe('--wait "0s" must be 1s to 15m (90s, 2m)');
    expect(usageError("selftest", "--wait", "1h")).toBe('--wait "1h" must be 1s to 15m (90s, 2m)');
    expect(usageError("status", "--page")).toContain("unknown option --page for `status`");
  });

  it("refuses what does not fit, naming it", () => {
    expect(usageError()).toBe(
      "which command? one of events, event, bursts, rejected, quarantine, conflicts, dlq, silence, status, selftest",
    );
    expect(usageError("frob")).toBe(
      `unknown command "frob": expected one of events, event, bursts, rejected, quarantine, conflicts, dlq, silence, status, selftest`,
    );
    expect(usageError("events", "--open")).toBe(
      "unknown option --open for `events` (it takes --hook, --app, --reason, --since, --limit, plus --local, --stack, --json)",
    );
    expect(usageError("events", "--hook", "login")).toBe(`--hook "login" must be one of migration, step-up`);
    expect(usageError("events", "--limit", "0")).toBe(`--limit "0" must be a whole number from 1 to 1000`);
    expect(usageError("events", "--limit", "many")).toBe(
      `--limit "many" must be a whole number from 1 to 1000`,
    );
    expect(usageError("events", "--since")).toBe("--since needs a value");
    expect(usageError("events", "--local", "--stack", "X")).toContain(
      "--local and --stack exclude each other",
    );
    expect(usageError("event")).toContain("`event` takes exactly one argument");
    expect(usageError("event", "a", "b")).toContain("`event` takes exactly one argument");
    expect(usageError("dlq", "purge")).toContain("`dlq` takes no argument or `redrive`");
    expect(usageError("dlq", "--yes")).toBe("--yes only applies to `dlq redrive`");
    expect(usageError("status", "extra")).toBe('`status` takes no arguments, not "extra"');
  });

  it("answers --help and `help <command>` with usage", () => {
    const general = parseCommandLine(["--help"], NOW);
    const command = parseCommandLine(["help", "bursts"], NOW);
    const option = parseCommandLine(["dlq", "-h"], NOW);

    expect(general).toMatchObject({
      kind: "help",
      text: expect.stringContaining("Usage: hookwatch <command>"),
    });
    expect(command).toMatchObject({
      kind: "help",
      text: expect.stringContaining("Usage: hookwatch bursts [--open]"),
    });
    expect(option).toMatchObject({
      kind: "help",
      text: expect.stringContaining("Usage: hookwatch dlq [--destination NAME] [--limit N]"),
    });
  });
});
