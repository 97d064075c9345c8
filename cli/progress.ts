import type { Progress } from "./queries.js";

export interface ProgressLine {
  readonly report: Progress;
  /** Clears the line, so the command's output starts on a clean one. */
  done(): void;
}

/** A progress line on stderr for anything that pages through results; silent unless stderr is a terminal. */
export function createProgressLine(stream: { write(text: string): unknown; isTTY?: boolean }): ProgressLine {
  if (!stream.isTTY) return { report: () => {}, done: () => {} };
  let shown = false;
  return {
    report(message) {
      stream.write(`\r\x1b[2K${message}`);
      shown = true;
    },
    done() {
      if (shown) stream.write("\r\x1b[2K");
      shown = false;
    },
  };
}
