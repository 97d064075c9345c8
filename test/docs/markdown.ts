/** What the docs tests read from a Markdown page: headings, relative links and code paths. */

export interface MarkdownLink {
  readonly text: string;
  /** The file part of the target, "" for a same-page anchor. */
  readonly path: string;
  /** The anchor without "#", or undefined. */
  readonly anchor: string | undefined;
  readonly line: number;
}

export interface CodePath {
  readonly path: string;
  readonly line: number;
}

/** Where a code path may start: the repository's own source folders. */
const SOURCE_ROOTS = ["infra", "lambdas", "cli", "local", "bench", "soak", "test"];
const SOURCE_PATH = new RegExp(
  `^(?:${SOURCE_ROOTS.join("|")})/(?:[\\w.-]+/)*(?:[\\w.-]+\\.(?:ts|js|cjs|mjs))?$`,
);
const FILE_NAME = /^[\w.-]+\.(?:ts|js|cjs|mjs)$/;
const LINK = /\[((?:[^[\]]|\[[^\]]*\])*)\]\(([^()\s]+)\)/g;
const INLINE_CODE = /`([^`]+)`/g;

/** The page's lines outside fenced code blocks, with their 1-based line numbers. */
function proseLines(markdown: string): { text: string; line: number }[] {
  const lines: { text: string; line: number }[] = [];
  let fenced = false;
  markdown.split("\n").forEach((text, index) => {
    if (text.trimStart().startsWith("```")) fenced = !fenced;
    else if (!fenced) lines.push({ text, line: index + 1 });
  });
  return lines;
}

/** GitHub's anchor for a heading: lowercase, punctuation dropped except "-" and "_", spaces to "-". */
export function slugOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** Every anchor the page's headings define; a repeated heading gets "-1", "-2"… as on GitHub. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text } of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text)?.[1];
    if (heading === undefined) continue;
    const slug = slugOf(heading);
    const count = seen.get(slug) ?? 0;
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
    seen.set(slug, count + 1);
  }
  return anchors;
}

function codeSpans(text: string): [number, number][] {
  return [...text.matchAll(INLINE_CODE)].map((match) => [match.index, match.index + match[0].length]);
}

/** Links to files of this repository: not http(s), mailto or other schemes. */
export function relativeLinksOf(markdown: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  for (const { text, line } of proseLines(markdown)) {
    const spans = codeSpans(text);
    for (const match of text.matchAll(LINK)) {
      const insideCode = spans.some(([start, end]) => match.index > start && match.index < end);
      const target = match[2] ?? "";
      if (insideCode || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      const hash = target.indexOf("#");
      links.push({
        text: match[1] ?? "",
        path: hash === -1 ? target : target.slice(0, hash),
        anchor: hash === -1 ? undefined : target.slice(hash + 1),
        line,
      });
    }
  }
  return links;
}

/** Paths in inline code that name a source file or folder of the repository, such as `lambdas/pages/`. */
export function codePathsOf(markdown: string): CodePath[] {
  const paths: CodePath[] = [];
  for (const { text, line } of proseLines(markdown)) {
    for (const match of text.matchAll(INLINE_CODE)) {
      const path = match[1] ?? "";
      if (SOURCE_PATH.test(path)) paths.push({ path, line });
    }
  }
  return paths;
}

/** Bare file names in inline code, such as `page-format.ts`, which must exist somewhere in the source folders. */
export function codeFileNamesOf(markdown: string): CodePath[] {
  const names: CodePath[] = [];
  for (const { text, line } of proseLines(markdown)) {
    for (const match of text.matchAll(INLINE_CODE)) {
      const name = match[1] ?? "";
      if (FILE_NAME.test(name)) names.push({ path: name, line });
    }
  }
  return names;
}

/** The folders a code path may start with. */
export const SOURCE_FOLDERS: readonly string[] = SOURCE_ROOTS;
