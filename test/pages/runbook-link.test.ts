import { describe, expect, it } from "vitest";
import { formatPage } from "../../lambdas/pages/page-format.js";
import { buildProtocolMessages } from "../../lambdas/pages/sns-pager.js";
import { loadConfig } from "../../lambdas/runtime/config.js";
import { buildResolvePage, buildTriggerPage } from "../helpers/burst-page-factory.js";

const RUNBOOK = "https://wiki.example.com/runbooks/step-up?team=identity#down";

describe("runbook link", () => {
  it("follows what to check first in the text of a page", () => {
    const lines = formatPage(buildTriggerPage({ runbookUrl: RUNBOOK })).text.split("\n");

    const at = lines.indexOf("Runbook");
    expect(at).toBeGreaterThan(lines.indexOf("Check first"));
    expect(lines[at + 1]).toBe(`  ${RUNBOOK}`);
  });

  it("closes the text of a resolve", () => {
    const lines = formatPage(buildResolvePage({ runbookUrl: RUNBOOK }))
      .text.trimEnd()
      .split("\n");

    expect(lines.slice(-2)).toEqual(["Runbook", `  ${RUNBOOK}`]);
  });

  it("is in the document, its PagerDuty details and as a PagerDuty link", () => {
    const { document } = formatPage(buildTriggerPage({ runbookUrl: RUNBOOK }));

    expect(document.runbook_url).toBe(RUNBOOK);
    expect(document.payload.custom_details.runbook_url).toBe(RUNBOOK);
    expect(document.links).toEqual([{ href: RUNBOOK, text: "Runbook: step-up hook" }]);
  });

  it("reaches every JSON protocol of the SNS message", () => {
    const messages = buildProtocolMessages(formatPage(buildTriggerPage({ runbookUrl: RUNBOOK })));

    for (const key of ["email-json", "http", "https", "sqs", "lambda", "firehose"] as const) {
      expect(JSON.parse(messages[key]).runbook_url).toBe(RUNBOOK);
    }
    expect(messages.email).toContain(RUNBOOK);
  });

  it("is left out everywhere when the hook has none", () => {
    const { document, text } = formatPage(buildTriggerPage());

    expect(text).not.toContain("Runbook");
    expect(document).not.toHaveProperty("runbook_url");
    expect(document).not.toHaveProperty("links");
    expect(document.payload.custom_details).not.toHaveProperty("runbook_url");
  });
});

describe("runbook setting at cold start", () => {
  const env = {
    EVENTS_TABLE_NAME: "e",
    STATE_TABLE_NAME: "s",
    PAGING_TOPIC_ARN: "t",
    PRELUDE_APP_IDS: "app_1",
  };

  it("reaches the hook's burst rule", () => {
    const config = loadConfig({ ...env, STEP_UP_RUNBOOK_URL: RUNBOOK });

    expect(config.burstRules["step-up"].runbookUrl).toBe(RUNBOOK);
    expect(config.burstRules.migration.runbookUrl).toBeUndefined();
  });

  it("refuses a runbook that is not https, naming the variable", () => {
    expect(() => loadConfig({ ...env, MIGRATION_RUNBOOK_URL: "http://wiki.example.com/m" })).toThrow(
      /MIGRATION_RUNBOOK_URL/,
    );
  });
});
