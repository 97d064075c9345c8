import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { synthesizeHookwatch } from "./synthesize.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const LINT_TEMPLATE = join(ROOT, ".ci", "lint-template");
// .ci/run installs cfn-lint before the tests; a developer machine without it skips these, visibly.
const hasCfnLint = spawnSync("cfn-lint", ["--version"], { encoding: "utf8" }).status === 0;
const work = mkdtempSync(join(tmpdir(), "hookwatch-cfn-lint-"));

afterAll(() => rmSync(work, { recursive: true, force: true }));

function lint(template: unknown) {
  const file = join(work, `template-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(template));
  return spawnSync(LINT_TEMPLATE, [file], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
}

describe.skipIf(!hasCfnLint)("the template checked by CloudFormation's own schemas (cfn-lint)", () => {
  it("finds no error in the synthesized stack", () => {
    const { template } = synthesizeHookwatch();

    const result = lint(template.toJSON());

    expect(result.stdout + result.stderr).not.toMatch(/^E\d{4}/m);
    expect(result.status, result.stdout + result.stderr).toBe(0);
  }, 240_000);

  it("fails on a property the schema refuses, naming the rule", () => {
    const template = {
      Resources: { Queue: { Type: "AWS::SQS::Queue", Properties: { MaximumMessageSize: 2_000_000 } } },
    };

    const result = lint(template);

    expect(result.status).not.toBe(0);
    expect(result.stdout).toMatch(/^E3034 2000000 is greater than the maximum of 1048576/m);
  }, 240_000);
});

describe("CI", () => {
  it("lints the synthesized template before running the tests", () => {
    const steps = readFileSync(join(ROOT, ".ci", "run"), "utf8").split("\n");

    expect(steps.indexOf(".ci/lint-template")).toBeGreaterThan(-1);
    expect(steps.indexOf(".ci/lint-template")).toBeLessThan(steps.indexOf("npm test"));
  });
});
