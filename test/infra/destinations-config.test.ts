import { describe, expect, it } from "vitest";
import { HookwatchConfigError, parseHookwatchConfig } from "../../infra/config.js";

const PD_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hookwatch/pagerduty-AbC123";
const WH_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hookwatch/webhook-XyZ789";

function problemWith(destinations: unknown): string {
  try {
    parseHookwatchConfig({ appIds: "app_1", destinations });
  } catch (error) {
    expect(error).toBeInstanceOf(HookwatchConfigError);
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(destinations)} to be refused`);
}

describe("the destinations setting", () => {
  it("is empty unless set: no delivery at all", () => {
    expect(parseHookwatchConfig({ appIds: "app_1" }).destinations).toEqual([]);
  });

  it("reads a cdk.json array and a -c JSON string alike, naming each destination after its type by default", () => {
    const entries = [
      { type: "pagerduty", routingKeySecretArn: PD_ARN },
      {
        type: "webhook",
        name: "incident-tool",
        url: "https://hooks.example.com/in",
        signingSecretArn: WH_ARN,
      },
    ];

    const fromJson = parseHookwatchConfig({ appIds: "app_1", destinations: entries }).destinations;
    const fromFlag = parseHookwatchConfig({
      appIds: "app_1",
      destinations: JSON.stringify(entries),
    }).destinations;

    expect(fromFlag).toEqual(fromJson);
    expect(fromJson).toEqual([
      {
        type: "pagerduty",
        name: "pagerduty",
        routingKeySecretArn: PD_ARN,
        eventsUrl: "https://events.pagerduty.com/v2/enqueue",
      },
      {
        type: "webhook",
        name: "incident-tool",
        url: "https://hooks.example.com/in",
        signingSecretArn: WH_ARN,
      },
    ]);
  });

  it("takes PagerDuty's EU endpoint", () => {
    const [pagerDuty] = parseHookwatchConfig({
      appIds: "app_1",
      destinations: [
        {
          type: "pagerduty",
          routingKeySecretArn: PD_ARN,
          eventsUrl: "https://events.eu.pagerduty.com/v2/enqueue",
        },
      ],
    }).destinations;

    expect(pagerDuty).toMatchObject({ eventsUrl: "https://events.eu.pagerduty.com/v2/enqueue" });
  });

  it.each([
    ["not JSON", "[{", "destinations must be a JSON array of destination objects (not JSON)"],
    ["an object", { type: "pagerduty" }, "destinations must be a JSON array of destination objects"],
    [
      "an unknown type",
      [{ type: "opsgenie" }],
      'destinations[0].type must have a "type": one of pagerduty, webhook',
    ],
    ["a missing ARN", [{ type: "pagerduty" }], "destinations[0].routingKeySecretArn is required"],
    [
      "a partial ARN",
      [{ type: "pagerduty", routingKeySecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:pd" }],
      "destinations[0].routingKeySecretArn must be the complete ARN of a Secrets Manager secret",
    ],
    [
      "a plain-http webhook",
      [{ type: "webhook", url: "http://hooks.example.com", signingSecretArn: WH_ARN }],
      "destinations[0].url must be an https:// URL",
    ],
    [
      "a routing key in the template",
      [{ type: "pagerduty", routingKeySecretArn: PD_ARN, routingKey: "0123456789abcdef0123456789abcdef" }],
      "destinations[0].routingKey would put a secret in the template: store it in Secrets Manager and give routingKeySecretArn",
    ],
    [
      "a typo",
      [{ type: "webhook", url: "https://h.example.com", signingSecretArn: WH_ARN, urll: "x" }],
      "destinations[0].urll is not a destination setting",
    ],
    [
      "a name with capitals",
      [{ type: "pagerduty", name: "OnCall", routingKeySecretArn: PD_ARN }],
      "destinations[0].name must be 1 to 32 lowercase letters",
    ],
    [
      "two of a type without names",
      [
        { type: "pagerduty", routingKeySecretArn: PD_ARN },
        { type: "pagerduty", routingKeySecretArn: PD_ARN },
      ],
      'destinations: the name "pagerduty" is used twice; give each destination its own "name"',
    ],
  ])("refuses %s, naming the entry and the field", (_, destinations, expected) => {
    expect(problemWith(destinations)).toContain(expected);
  });

  it("never echoes a routing key put in the wrong place", () => {
    const key = "0123456789abcdef0123456789abcdef";

    expect(problemWith([{ type: "pagerduty", routingKey: key }])).not.toContain(key);
  });
});
