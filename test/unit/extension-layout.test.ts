/**
 * The extension stays in rooms one can read: activate() only wires features, no module grows
 * past ~400 lines (what loads without vscode: architecture.test.ts and eslint.config.mjs).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO } from './helpers/fixtures';

const DIR = path.join(REPO, 'src/extension');
const read = (f: string) => fs.readFileSync(path.join(DIR, f), 'utf8');

describe('src/extension layout', () => {
  it('keeps every module of the extension host (the timeline aside) near 400 lines, main.ts near 100', () => {
    const files = fs.readdirSync(DIR, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.startsWith('timeline'));
    const long = files.map((f) => [f, read(f).split('\n').length] as const).filter(([, n]) => n > 420);
    assert.deepEqual(long, []);
    assert.ok(read('main.ts').split('\n').length <= 130, 'main.ts wires, the features do the work');
  });

  it('leaves no context key that no when clause reads', () => {
    const pkg = fs.readFileSync(path.join(REPO, 'package.json'), 'utf8');
    const text = fs
      .readdirSync(DIR, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map(read)
      .join('\n');
    const keys = [...text.matchAll(/'setContext',\s*'([\w.]+)'/g)].map((m) => m[1]!);
    assert.ok(keys.length > 0);
    assert.deepEqual(
      keys.filter((k) => !pkg.includes(k)),
      [],
    );
  });
});
