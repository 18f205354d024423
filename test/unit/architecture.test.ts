/**
 * The layer directions (core never imports vscode, the extension, the CLI or the webview;
 * shared code and the webview no node built-ins and no core; …) are ESLint rules now
 * (eslint.config.mjs, run by `npm test`). What ESLint cannot say, because it reads one file
 * at a time: that the extension's vscode-free modules also load without vscode through
 * everything they import. This test loads them in a plain node where `vscode` does not exist.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO } from './helpers/fixtures';

const DIR = path.join(REPO, 'src/extension');

/** Modules of src/extension with no value import of vscode (a type import is erased). */
function vscodeFreeModules(): string[] {
  return fs
    .readdirSync(DIR, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .filter((f) => !/^import\s+(?!type\b)[^;]*from\s+'vscode'/m.test(fs.readFileSync(path.join(DIR, f), 'utf8')))
    .map((f) => `src/extension/${f.split(path.sep).join('/')}`)
    .sort();
}

/** eslint.config.mjs's VSCODE_FREE: the modules ESLint keeps free of value imports of vscode. */
function listed(): string[] {
  const config = fs.readFileSync(path.join(REPO, 'eslint.config.mjs'), 'utf8');
  return [...(config.match(/VSCODE_FREE = \[([^\]]*)\]/)?.[1] ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1] ?? '');
}

describe('architecture: what ESLint cannot check', () => {
  it("lists in eslint.config.mjs's VSCODE_FREE the models the unit tests load in plain node, timeline/* included", () => {
    const list = listed();
    for (const f of ['treeModel.ts', 'sourceIndex.ts', 'workflowSources.ts', 'markdown.ts', 'commands/table.ts', 'storeArrival.ts']) {
      assert.ok(list.includes(`src/extension/${f}`), f);
    }
    assert.ok(list.filter((f) => f.startsWith('src/extension/timeline/')).length >= 4, 'the timeline models');
    // Every module of the list exists and imports no vscode value today: the list is not stale.
    assert.deepEqual(
      list.filter((f) => !vscodeFreeModules().includes(f)),
      [],
    );
  });

  it("loads each of the extension's vscode-free modules, and all they import, without vscode", () => {
    const modules = listed();
    assert.ok(modules.length >= 15, `${modules.length}`);
    const script = `
      const failed = [];
      for (const m of ${JSON.stringify(modules)}) {
        try { require(require('node:path').join(${JSON.stringify(REPO)}, m)); } catch (err) { failed.push(m + ': ' + err.message.split('\\n')[0]); }
      }
      process.stdout.write(JSON.stringify(failed));`;
    const out = execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: REPO, encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), []);
  });
});
