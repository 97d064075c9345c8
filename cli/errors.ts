/** Exit codes scripts can rely on; docs/cli.md lists them ("Global options, output, exit codes"). */
export const EXIT_CODE = {
  ok: 0,
  /** Something failed: AWS, the local pipeline, a missing stack or credentials. */
  failed: 1,
  /** The command line is wrong: unknown command or option, bad value, missing argument. */
  usage: 2,
  /** `event <dispatch_id>`: no event has that key. */
  notFound: 3,
} as const;

/** A mistake on the command line; exits 2 with a pointer to the help. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A problem the operator can fix, with a message that says how; exits 1 without a stack trace. */
export class OperatorError extends Error {
  override name = "OperatorError";
}

/** The one thing asked for does not exist; exits 3. */
export class NotFoundError extends Error {
  override name = "NotFoundError";
}

/** Where the CLI was looking, for messages that say what to try next. */
export interface TargetHint {
  readonly local: boolean;
  readonly stack: string;
}

const hasName = (error: unknown, ...names: string[]) =>
  error instanceof Error &&
  (names.includes(error.name) || names.includes((error as { Code?: string }).Code ?? ""));

/** Turns any failure into one line a person can act on, and the exit code for it. */
export function explainError(error: unknown, target: TargetHint): { message: string; exitCode: number } {
  if (error instanceof UsageError) {
    return { message: `${error.message}\nRun \`hookwatch --help\` for usage.`, exitCode: EXIT_CODE.usage };
  }
  if (error instanceof NotFoundError) return { message: error.message, exitCode: EXIT_CODE.notFound };
  if (error instanceof OperatorError) return { message: error.message, exitCode: EXIT_CODE.failed };
  const failed = (message: string) => ({ message, exitCode: EXIT_CODE.failed });
  const detail = error instanceof Error ? error.message : String(error);
  if (hasName(error, "CredentialsProviderError")) {
    return failed("no AWS credentials: set AWS_PROFILE or run `aws sso login`, or use --local");
  }
  if (hasName(error, "ExpiredToken", "ExpiredTokenException", "RequestExpired")) {
    return failed(
      "your AWS credentials have expired: run `aws sso login` (or refresh AWS_PROFILE's credentials)",
    );
  }
  if (error instanceof Error && /region is missing/i.test(error.message)) {
    return failed("no AWS region: set AWS_REGION (or a region in your AWS profile), or use --local");
  }
  if (hasName(error, "AccessDenied", "AccessDeniedException", "UnrecognizedClientException")) {
    return failed(`AWS refused the request (${detail}): use a profile that may read stack ${target.stack}`);
  }
  if (
    hasName(
      error,
      "ResourceNotFoundException",
      "QueueDoesNotExist",
      "AWS.SimpleQueueService.NonExistentQueue",
    )
  ) {
    return failed(
      target.local
        ? `${detail.replace(/\.$/, "")} (a table or queue that .local/pipeline.json names): restart npm start`
        : `${detail.replace(/\.$/, "")}: stack ${target.stack}'s outputs name a resource that is gone; redeploy it`,
    );
  }
  if (isConnectionRefused(error)) {
    return failed(
      target.local
        ? "the local pipeline does not answer on the endpoints in .local/pipeline.json: run npm start first"
        : `could not reach AWS (${detail}); check your network, AWS_ENDPOINT_URL and AWS_REGION`,
    );
  }
  return failed(error instanceof Error ? `${error.name}: ${error.message}` : detail);
}

function isConnectionRefused(error: unknown): boolean {
  const code = (error as { code?: string; errors?: { code?: string }[] } | undefined)?.code;
  return code === "ECONNREFUSED";
}
