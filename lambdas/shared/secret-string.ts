import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { secretsManager } from "./aws-clients.js";

/** Thrown when the secret cannot be read; the message names the ARN and the cause, never the value. */
export class HmacSecretError extends Error {
  override name = "HmacSecretError";
}

export interface LoadHmacSecretOptions {
  /** How long a read value is reused before Secrets Manager is asked again. Default 300 s. */
  readonly cacheSeconds?: number;
  readonly client?: SecretsManagerClient;
  readonly now?: () => number;
}

/**
 * The legacy `sha256=` HMAC secret: the secret's SecretString, used as is. Read on first use, then cached
 * for `cacheSeconds` so a rotated secret is picked up without a cold start; a failed read is not cached.
 */
export function loadHmacSecret(
  secretArn: string,
  options: LoadHmacSecretOptions = {},
): () => Promise<string> {
  const client = options.client ?? secretsManager();
  const now = options.now ?? Date.now;
  const cacheMs = (options.cacheSeconds ?? 300) * 1000;
  let cached: { value: Promise<string>; readAt: number } | undefined;

  async function readSecret(): Promise<string> {
    let secretString: string | undefined;
    try {
      const output = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
      secretString = output.SecretString;
    } catch (error) {
      throw new HmacSecretError(`cannot read HMAC secret ${secretArn}: ${(error as Error).name}`);
    }
    if (secretString === undefined || secretString === "") {
      throw new HmacSecretError(`HMAC secret ${secretArn} has no SecretString`);
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
