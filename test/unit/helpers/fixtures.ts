import * as fs from 'node:fs';
import { strict as assert } from 'node:assert';
import * as os from 'node:os';
import * as path from 'node:path';

export const FIXTURES = path.resolve(__dirname, '..', '..', 'fixtures');
export const REPO = path.resolve(__dirname, '..', '..', '..');

export function fixtureText(rel: string): string {
  return fs.readFileSync(path.join(FIXTURES, rel), 'utf8');
}

export function fixtureJson<T = unknown>(rel: string): T {
  return JSON.parse(fixtureText(rel)) as T;
}

/** A fresh temporary folder, removed after the test run. */
export function tempDir(prefix = 'runlens-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `xs[i]`, failing the test with what was there when it is missing (noUncheckedIndexedAccess). */
export function at<T>(xs: ArrayLike<T>, i: number): T {
  const x = xs[i];
  if (x === undefined) throw new assert.AssertionError({ message: `no item ${i}: there are ${xs.length}`, actual: xs, expected: i });
  return x;
}
