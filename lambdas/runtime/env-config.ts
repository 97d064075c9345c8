import * as z from "zod/mini";

/**
 * What every Lambda's environment parsing shares, kept apart from the processor's full schema so the
 * challenge function does not bundle and build it at cold start.
 */

/** Thrown at cold start when the environment is missing or malformed; names the variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** `PRELUDE_APP_IDS`: a comma-separated list of app ids. */
export const appIdList = z
  .string()
  .check(z.regex(/^\s*[\w-]+(\s*,\s*[\w-]+)*\s*$/, "a comma-separated list of app ids"));

export const splitAppIds = (value: string): string[] => value.split(",").map((id) => id.trim());

/** Each issue as "<VARIABLE> must be <what it expects>", joined. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const name = issue.path.join(".") || "environment";
      const expected =
        issue.message && issue.message !== "Invalid input"
          ? issue.message
          : issue.code === "invalid_type"
            ? `set (a ${issue.expected})`
            : issue.code === "invalid_value"
              ? `one of ${issue.values.map(String).join(", ")}`
              : issue.code;
      return `${name} must be ${expected}`;
    })
    .join("; ");
}
