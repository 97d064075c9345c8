import type { IncomingMessage, ServerResponse } from "node:http";
import { listenOnLoopback, readBody, sendJson } from "./http-stand-in.js";

export interface SecretsManagerStandIn {
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * A loopback stand-in for Secrets Manager's `GetSecretValue`, the one call hookwatch makes: the SDK speaks
 * its JSON protocol (`X-Amz-Target: secretsmanager.GetSecretValue`, body `{"SecretId": …}`). Serves the given
 * secrets by ARN; any other id answers `ResourceNotFoundException`, as Secrets Manager does.
 */
export async function startSecretsManagerStandIn(
  secrets: ReadonlyMap<string, string>,
): Promise<SecretsManagerStandIn> {
  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request, 65_536);
    const target = request.headers["x-amz-target"];
    const error = (status: number, type: string, message: string) =>
      sendJson(response, status, { __type: type, message }, { "content-type": "application/x-amz-json-1.1" });
    if (target !== "secretsmanager.GetSecretValue") {
      error(
        400,
        "InvalidRequestException",
        `the local stand-in implements GetSecretValue only, not ${String(target)}`,
      );
      return;
    }
    let secretId: unknown;
    try {
      secretId = (JSON.parse(body === "too large" ? "" : body.toString("utf8")) as { SecretId?: unknown })
        .SecretId;
    } catch {
      error(400, "InvalidRequestException", "the request body is not JSON");
      return;
    }
    const value = typeof secretId === "string" ? secrets.get(secretId) : undefined;
    if (value === undefined) {
      error(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
      return;
    }
    const name =
      String(secretId)
        .split(":secret:")[1]
        ?.replace(/-[A-Za-z0-9]{6}$/, "") ?? "";
    sendJson(
      response,
      200,
      {
        ARN: secretId,
        Name: name,
        SecretString: value,
        VersionId: "local",
        VersionStages: ["AWSCURRENT"],
        CreatedDate: 0,
      },
      { "content-type": "application/x-amz-json-1.1" },
    );
  }
  const server = await listenOnLoopback(handle);
  return { endpoint: server.url, close: server.close };
}
