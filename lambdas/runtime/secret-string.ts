import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { secretsManager } from "./aws-clients.js";

/** Thrown when a secret cannot be read; the message names the ARN and the cause, never the value. */
export class SecretStringError extends Error {
  override name = "SecretStringError";
}

export interface LoadSecretStringOptions {
  /** What the secret is, for error messages: "HMAC secret", "verification token secret". */
  readonly label: string;
  /** How long a read value is reused before Secrets Manager is asked again. Default 300 s. */
  readonly cacheSeconds?: number;
  readonly client?: SecretsManagerClient;
  readonly now?: () => number;
}

/**
 * A secret's SecretString, used as is: the legacy `sha256=` HMAC secret, the activation challenge's
 * verification token. Read on first use (the Secrets Manager client too), then cached for
 * `cacheSeconds` so a new value is picked up without a cold start; a failed read is not cached.
 */
export function loadSecretString(secretArn: string, options: LoadSecretStringOptions): () => Promise<string> {
  const { label } = options;
  const now = options.now ?? Date.now;
  const cacheMs = (options.cacheSeconds ?? 300) * 1000;
  let cached: { value: Promise<string>; readAt: number } | undefined;

  async function readSecret(): Promise<string> {
    let secretString: string | undefined;
    try {
      const client = options.client ?? secretsManager();
      const output = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
      secretString = output.SecretString;
    } catch (error) {
      throw new SecretStringError(`cannot read ${label} ${secretArn}: ${(error as Error).name}`);
    }
    if (secretString === undefined || secretString === "") {
      throw new SecretStringError(`${label} ${secretArn} has no SecretString`);
    }
    return secretString;
  }

  return () => {
    if (cached === undefined || now() - cached.readAt >= cacheMs) {
      const entry = { value: readSecret(), readAt: now() };
      // Concurrent callers share the read; a failure is forgotten so the next call tries again.
      entry.value.catch(() => {
        if (cached === entry) cached = undefined;
      });
      cached = entry;
    }
    return cached.value;
  };
}
