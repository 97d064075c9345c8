import * as z from "zod/mini";
import { appIdList, ConfigError, describeIssues, splitAppIds } from "../runtime/env-config.js";

export interface ChallengeConfig {
  /** ARN of the Secrets Manager secret whose value is the verification token. */
  readonly tokenSecretArn: string;
  readonly appIds: readonly string[];
}

const envSchema = z.object({
  VERIFICATION_TOKEN_SECRET_ARN: z.string().check(z.trim(), z.minLength(1, "a secret ARN")),
  PRELUDE_APP_IDS: appIdList,
});

/** Parses the challenge function's environment once, at cold start; names what is wrong. */
export function loadChallengeConfig(env: NodeJS.ProcessEnv = process.env): ChallengeConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(`hookwatch challenge configuration: ${describeIssues(parsed.error.issues)}`);
  }
  return {
    tokenSecretArn: parsed.data.VERIFICATION_TOKEN_SECRET_ARN,
    appIds: splitAppIds(parsed.data.PRELUDE_APP_IDS),
  };
}
