import { describe, expect, it } from "vitest";
import type { PageSilence } from "../../lambdas/pages/burst-page.js";
import { formatPage } from "../../lambdas/pages/page-format.js";
import { buildTriggerPage } from "../helpers/burst-page-factory.js";

const SILENCE: PageSilence = {
  id: "sil_4k7x2m9q1c",
  reason: "moving the step-up service to the new cluster",
  createdBy: "alice",
  startsAt: "2026-11-21T09:00:00.000Z",
  endsAt: "2026-11-21T11:00:00.000Z",
};

describe("a page held by a silence", () => {
  it("says so after the opening, with the silence, who set it, when and why", () => {
    const lines = formatPage(buildTriggerPage({ silence: SILENCE })).text.split("\n");

    const at = lines.indexOf("This page was held by a silence, which is now over; the burst is still open.");
    expect(at).toBeGreaterThan(0);
    expect(lines.slice(at + 1, at + 4)).toEqual([
      "Silence         sil_4k7x2m9q1c by alice",
      "Silenced        2026-11-21T09:00:00.000Z to 2026-11-21T11:00:00.000Z",
      "Because         moving the step-up service to the new cluster",
    ]);
  });

  it("carries the silence in the document and its PagerDuty details, and stays critical", () => {
    const { document } = formatPage(buildTriggerPage({ silence: SILENCE }));

    const expected = {
      id: SILENCE.id,
      reason: SILENCE.reason,
      created_by: "alice",
      starts_at: SILENCE.startsAt,
      ends_at: SILENCE.endsAt,
    };
    expect(document.silence).toEqual(expected);
    expect(document.payload.custom_details.silence).toEqual(expected);
    expect(document.severity).toBe("critical");
  });

  it("cannot forge a line through a control character in the reason", () => {
    const text = formatPage(
      buildTriggerPage({ silence: { ...SILENCE, reason: "db\nDedup key       forged" } }),
    ).text;

    expect(text.split("\n").filter((line) => line.startsWith("Dedup key"))).toHaveLength(1);
  });

  it("is not mentioned in a page no silence held", () => {
    const { text, document } = formatPage(buildTriggerPage());

    expect(text).not.toContain("silence");
    expect(document).not.toHaveProperty("silence");
  });
});
