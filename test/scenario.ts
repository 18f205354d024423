/** The flaky-example story both real-editor suites (test-electron and e2e) tell. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const EXAMPLE = 'examples/event_generation.py';
export const WORKFLOW = 'event generation';
export const FAILED_STEP = 'validate';
export const FAILED_ERROR = /^ValueError: duplicate test ids: t1\b/;

/** 1-based line of the `RUNLENS-MARK: <mark>` comment in a file under `root`. */
export function markedLine(root: string, rel: string, mark: string): number {
  const lines = fs.readFileSync(path.join(root, rel), 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(`RUNLENS-MARK: ${mark}`));
  if (i < 0) throw new Error(`no RUNLENS-MARK: ${mark} in ${rel}`);
  return i + 1;
}
