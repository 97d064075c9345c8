import * as z from "zod/mini";
import { ConfigError } from "../shared/config.js";

export interface ChallengeConfig {
  /** ARN of the Secrets Manager secret whose value is the verification token. */
  readonly tokenSecretArn: string;
  readonly appIds: readonly string[];
}

const envSchema = z.object({
  VERIFICATION_TOKEN_SECRET_ARN: z.string().check(z.trim(), z.minLength(1, "a secret ARN")),
  PRELUDE_APP_IDS: z
    .string()
    .check(z.regex(/^\s*[\w-]+(\s*,\s*[\w-]+)*\s*$/, "a comma-separated list of app ids")),
});

/** Parses the challenge function's environment once, at cold start; names what is wrong. */
export function loadChallengeConfig(env: NodeJS.ProcessEnv = process.env): ChallengeConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join(".")} must be ${issue.code === "invalid_type" ? "set" : issue.message}`,
    );
    throw new ConfigError(`hookwatch challenge configuration: ${problems.join("; ")}`);
  }
  return {
    tokenSecretArn: parsed.data.VERIFICATION_TOKEN_SECRET_ARN,
    appIds: parsed.data.PRELUDE_APP_IDS.split(",").map((id) => id.trim()),
  };
}
