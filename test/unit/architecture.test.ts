import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO } from './helpers/fixtures';

function sources(dir: string): string[] {
  const abs = path.join(REPO, dir);
  if (!fs.existsSync(abs)) return [];
  return fs.readdirSync(abs, { recursive: true, encoding: 'utf8' }).filter((f) => /\.(ts|tsx|js|mjs)$/.test(f)).map((f) => path.join(abs, f));
}

function imports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const re of [/\bfrom\s+['"]([^'"]+)['"]/g, /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g]) {
    for (let m = re.exec(text); m; m = re.exec(text)) found.push(m[1]);
  }
  return found;
}

function offenders(dir: string, banned: (spec: string, file: string) => boolean): string[] {
  return sources(dir).flatMap((f) => imports(f).filter((i) => banned(i, f)).map((i) => `${path.relative(REPO, f)} imports ${i}`));
}

const resolvesInto = (spec: string, file: string, folder: string) =>
  spec.startsWith('.') && path.resolve(path.dirname(file), spec).startsWith(path.join(REPO, folder));

describe('architecture: one direction of dependencies', () => {
  it('keeps src/core free of vscode, the extension, the CLI and the webview', () => {
    assert.deepEqual(
      offenders('src/core', (s, f) => s === 'vscode' || ['src/extension', 'src/cli', 'webview'].some((d) => resolvesInto(s, f, d))),
      [],
    );
  });

  it('keeps src/shared and webview/ free of vscode, node built-ins and the core', () => {
    const bad = (s: string, f: string) =>
      s === 'vscode' || s.startsWith('node:') || ['fs', 'path', 'child_process', 'http'].includes(s) || resolvesInto(s, f, 'src/core') || resolvesInto(s, f, 'src/extension');
    assert.deepEqual([...offenders('src/shared', bad), ...offenders('webview', bad)], []);
  });

  it('keeps the CLI away from the extension', () => {
    assert.deepEqual(offenders('src/cli', (s, f) => s === 'vscode' || resolvesInto(s, f, 'src/extension')), []);
  });

  it('keeps the extension\'s models (tree, source index, workflow sources) free of vscode, so they run in plain node', () => {
    const pure = ['treeModel.ts', 'sourceIndex.ts', 'workflowSources.ts', 'markdown.ts'].map((f) => path.join(REPO, 'src/extension', f));
    for (const f of pure) assert.ok(fs.existsSync(f), f);
    assert.deepEqual(
      pure.flatMap((f) => imports(f).filter((i) => i === 'vscode').map((i) => `${path.relative(REPO, f)} imports ${i}`)),
      [],
    );
  });
});
