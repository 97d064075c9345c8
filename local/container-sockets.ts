import { Agent } from "node:http";

/** What this module reads and changes of an SDK v3 client's Node HTTP handler (@smithy/node-http-handler). */
interface NodeHttpHandlerInternals {
  readonly configProvider?: Promise<{ httpAgent?: Agent; httpAgentProvider?: () => Promise<Agent> }>;
  updateHttpClientConfig?(key: "httpAgent", value: Agent): void;
}

/**
 * In Lambda each concurrent invocation runs in its own container, with its own SDK clients and sockets;
 * locally, concurrent invocations share one process and the handlers' module-scope clients. So that no
 * request waits for a socket longer than it would in Lambda (its connection and request timeouts run
 * while it waits), a shared client gets as many sockets as `invocations` containers would have between
 * them. Returns the client's sockets per endpoint now; one invocation leaves the client as it is.
 */
export async function shareSocketsLikeContainers(
  client: { readonly config: { readonly requestHandler?: unknown } },
  invocations: number,
): Promise<number | undefined> {
  if (invocations <= 1) return undefined;
  const handler = client.config.requestHandler as NodeHttpHandlerInternals | undefined;
  const config = await handler?.configProvider;
  const agent = config?.httpAgent ?? (await config?.httpAgentProvider?.());
  if (agent === undefined || handler?.updateHttpClientConfig === undefined) {
    throw new Error("the client's HTTP handler is not the Node HTTP handler this pipeline knows");
  }
  const sockets = agent.maxSockets * invocations;
  if (invocations > 1)
    handler.updateHttpClientConfig("httpAgent", new Agent({ keepAlive: true, maxSockets: sockets }));
  return sockets;
}
