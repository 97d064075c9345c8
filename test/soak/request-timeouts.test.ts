import { describe, expect, it } from "vitest";
import type { ClientAttempt } from "../../soak/processor-faults.js";
import { explainRequestTimeout, type TimedOutAttempt } from "../../soak/request-timeouts.js";

const T0 = 1_000_000;
const attempt = (overrides: Partial<ClientAttempt> = {}): ClientAttempt => ({
  client: "dynamodb",
  key: "invocation 1",
  startedAt: T0,
  endedAt: T0 + 5_003,
  clientInFlight: 20,
  ownInFlight: 20,
  ...overrides,
});
const facts = (overrides: Partial<TimedOutAttempt> = {}): TimedOutAttempt => ({
  attempt: attempt(),
  stalls: [],
  requestTimeoutMs: 5_000,
  maxSockets: 50,
  sharedSockets: 250,
  ...overrides,
});

describe("a request timeout, from both ends of the wire", () => {
  it("is the harness's when the attempt waited for a socket of the client the soak's invocations share", () => {
    const why = explainRequestTimeout(
      facts({
        attempt: attempt({ clientInFlight: 251, ownInFlight: 30 }),
        proxied: { receivedAt: T0 + 4_200, forwardedAt: T0 + 4_201, serviceMs: 900 },
        stalls: [{ from: T0 + 100, to: T0 + 400 }],
      }),
    );

    expect(why).toContain("4200 ms before it reached the proxy (one of 251 attempts in flight");
    expect(why).toContain("30 of them its invocation's");
    expect(why).toContain("900 ms at the service");
    expect(why).toContain("stalled 300 ms meanwhile (longest 300 ms)");
  });

  it("is the harness's when the answer was on its way before the timeout and the process was busy", () => {
    const why = explainRequestTimeout(
      facts({
        proxied: { receivedAt: T0 + 5, forwardedAt: T0 + 6, serviceMs: 3_100, answeredAt: T0 + 3_110 },
        stalls: [
          { from: T0 + 3_000, to: T0 + 4_500 },
          { from: T0 + 4_600, to: T0 + 5_003 },
        ],
      }),
    );

    expect(why).toContain("5 ms before it reached the proxy, 3100 ms at the service");
    expect(why).toContain("1893 ms from its answer to the timeout");
    expect(why).toContain("stalled 1903 ms meanwhile (longest 1500 ms)");
  });

  it("is hookwatch's when its own invocation had more attempts in flight than the client has sockets", () => {
    expect(explainRequestTimeout(facts({ attempt: attempt({ clientInFlight: 80, ownInFlight: 51 }) }))).toBe(
      undefined,
    );
  });

  it("is hookwatch's when the process stopped turning for the whole timeout at once", () => {
    expect(explainRequestTimeout(facts({ stalls: [{ from: T0 + 2, to: T0 + 5_002 }] }))).toBeUndefined();
  });
});
