import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  anchorsOf,
  codeFileNamesOf,
  codePathsOf,
  relativeLinksOf,
  SOURCE_FOLDERS,
  slugOf,
} from "./markdown.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const PAGES = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`),
];

const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

/** Every broken relative link of one page, as "page:line → target (why)". */
function brokenLinksOf(
  page: string,
  markdown: string,
  readPage: (path: string) => string | undefined,
): string[] {
  const broken: string[] = [];
  for (const link of relativeLinksOf(markdown)) {
    const target = link.path === "" ? page : relative(ROOT, resolve(ROOT, dirname(page), link.path));
    const where = `${page}:${link.line} → ${link.path}${link.anchor === undefined ? "" : `#${link.anchor}`}`;
    const content = link.path === "" ? markdown : readPage(target);
    if (content === undefined) broken.push(`${where} (no such file)`);
    else if (link.anchor !== undefined && target.endsWith(".md") && !anchorsOf(content).has(link.anchor))
      broken.push(`${where} (no such heading in ${target})`);
  }
  return broken;
}

function readFromDisk(path: string): string | undefined {
  const full = join(ROOT, path);
  if (!existsSync(full)) return undefined;
  return statSync(full).isDirectory() ? "" : readFileSync(full, "utf8");
}

/** Names of every file under the source folders (node_modules aside). */
function sourceFileNames(): Set<string> {
  const names = new Set<string>();
  const walk = (folder: string): void => {
    for (const entry of readdirSync(join(ROOT, folder), { withFileTypes: true })) {
      if (entry.isDirectory() && entry.name !== "node_modules") walk(join(folder, entry.name));
      else if (entry.isFile()) names.add(entry.name);
    }
  };
  for (const folder of SOURCE_FOLDERS) walk(folder);
  return names;
}

describe("the README's quick start", () => {
  it("keeps the two commands people and CI copy, in a sh block under Quick start", () => {
    const quickStart = /^## Quick start\n+```sh\n([\s\S]*?)```/m.exec(read("README.md"))?.[1] ?? "";

    expect(quickStart).toContain("npm ci && npm start");
    expect(quickStart).toContain("npm ci && npm test");
  });

  it("names scripts that package.json defines", () => {
    const scripts = (JSON.parse(read("package.json")) as { scripts?: Record<string, string> }).scripts ?? {};

    expect(scripts.start).toBeTruthy();
    expect(scripts.test).toBeTruthy();
  });
});

describe("links between the README and docs/", () => {
  it.each(PAGES)("every relative link and anchor of %s lands", (page) => {
    const broken = brokenLinksOf(page, read(page), readFromDisk);

    expect(broken).toEqual([]);
  });

  it("finds a link to a missing page, a missing heading and a missing same-page heading", () => {
    const pages: Record<string, string> = { "docs/a.md": "# A\n\n## Real heading\n" };
    const markdown = "[gone](gone.md) [bad](a.md#no-heading) [ok](a.md#real-heading) [self](#nowhere)\n";

    const broken = brokenLinksOf("docs/a.md", `# A\n\n${markdown}`, (path) => pages[path]);

    expect(broken).toEqual([
      "docs/a.md:3 → gone.md (no such file)",
      "docs/a.md:3 → a.md#no-heading (no such heading in docs/a.md)",
      "docs/a.md:3 → #nowhere (no such heading in docs/a.md)",
    ]);
  });

  it("ignores web links and links inside code", () => {
    const markdown =
      "[site](https://prelude.so) [mail](mailto:a@b.c) `[x](gone.md)`\n\n```\n[y](gone.md)\n```\n";

    expect(relativeLinksOf(markdown)).toEqual([]);
  });
});

describe("GitHub heading anchors", () => {
  it.each([
    ["Deploy command", "deploy-command"],
    ["Files under `.local/` (git-ignored)", "files-under-local-git-ignored"],
    ["`status [--app ID]`", "status---app-id"],
    [
      "How each figure is measured, and what it means for your bill",
      "how-each-figure-is-measured-and-what-it-means-for-your-bill",
    ],
    ["The functions' environment", "the-functions-environment"],
  ])("turns %j into #%s", (heading, slug) => {
    expect(slugOf(heading)).toBe(slug);
  });

  it("numbers a repeated heading as GitHub does", () => {
    expect([...anchorsOf("# Page\n\n## Notes\n\n## Notes\n")]).toEqual(["page", "notes", "notes-1"]);
  });
});

describe("source paths named in the docs", () => {
  it.each(PAGES)("every source path in backticks in %s exists", (page) => {
    const missing = codePathsOf(read(page))
      .filter(({ path }) => !existsSync(join(ROOT, path)))
      .map(({ path, line }) => `${page}:${line} ${path}`);

    expect(missing).toEqual([]);
  });

  it.each(PAGES)(
    "every bare source file name in backticks in %s names a file of the source folders",
    (page) => {
      const names = sourceFileNames();

      const missing = codeFileNamesOf(read(page))
        .filter(({ path }) => !names.has(path))
        .map(({ path, line }) => `${page}:${line} ${path}`);

      expect(missing).toEqual([]);
    },
  );

  it("picks out source files and folders, not other code", () => {
    const markdown = "`lambdas/pages/page-format.ts`, `lambdas/bursts/`, `.local/pages.jsonl`, `npm start`\n";

    expect(codePathsOf(markdown).map(({ path }) => path)).toEqual([
      "lambdas/pages/page-format.ts",
      "lambdas/bursts/",
    ]);
    expect(codeFileNamesOf(markdown)).toEqual([]);
  });

  it("picks out bare source file names", () => {
    const markdown = "`page-text.ts` beside `lambdas/pages/page-format.ts`, and `.local/pages.jsonl`\n";

    expect(codeFileNamesOf(markdown).map(({ path }) => path)).toEqual(["page-text.ts"]);
  });
});
