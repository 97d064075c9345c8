import { createServer, type Server } from "node:http";

export type JwksBehaviour =
  | { readonly kind: "serve"; readonly document: unknown }
  | { readonly kind: "status"; readonly status: number }
  | { readonly kind: "text"; readonly text: string }
  /** Accepts the request and never answers, to exercise the fetch timeout. */
  | { readonly kind: "hang" };

/** A real loopback HTTP server standing in for an app's JWKS endpoint, whose answer a test can change. */
export interface JwksEndpoint {
  readonly url: string;
  hits(): number;
  behave(behaviour: JwksBehaviour): void;
  serve(...keys: readonly unknown[]): void;
  close(): Promise<void>;
}

export async function startJwksEndpoint(...keys: readonly unknown[]): Promise<JwksEndpoint> {
  let behaviour: JwksBehaviour = { kind: "serve", document: { keys } };
  let hits = 0;
  const server: Server = createServer((_request, response) => {
    hits += 1;
    switch (behaviour.kind) {
      case "serve":
        response
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify(behaviour.document));
        return;
      case "status":
        response.writeHead(behaviour.status).end();
        return;
      case "text":
        response.writeHead(200, { "content-type": "application/json" }).end(behaviour.text);
        return;
      case "hang":
        return;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return {
    url: `http://127.0.0.1:${address.port}/.well-known/jwks.json`,
    hits: () => hits,
    behave(next) {
      behaviour = next;
    },
    serve(...next) {
      behaviour = { kind: "serve", document: { keys: next } };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback URL where nothing listens: connections are refused. */
export async function unreachableJwksUrl(): Promise<string> {
  const endpoint = await startJwksEndpoint();
  await endpoint.close();
  return endpoint.url;
}
