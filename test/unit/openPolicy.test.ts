/**
 * Go to Source, the timeline's source links, Problems entries and Debug from Here's
 * breakpoint open a file a trace names only inside the workspace folders or the user's path
 * mappings; anything else is asked about first. Real files and symlinks in a temp folder.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decideOpen } from '../../src/extension/openPolicy';
import { tempDir } from './helpers/fixtures';

describe('opening a file a trace names', () => {
  let root: string;
  let ws: string;
  let mapped: string;
  let outside: string;
  let scope: { folders: string[]; pathMappings: Record<string, string> };

  before(() => {
    root = fs.realpathSync(tempDir());
    ws = path.join(root, 'ws');
    mapped = path.join(root, 'checkout', 'src');
    fs.mkdirSync(path.join(ws, 'flows'), { recursive: true });
    fs.mkdirSync(mapped, { recursive: true });
    fs.mkdirSync(path.join(root, 'ws-evil'));
    fs.writeFileSync(path.join(ws, 'flows', 'a.py'), 'x = 1\n');
    fs.writeFileSync(path.join(mapped, 'b.py'), 'y = 2\n');
    outside = path.join(root, 'passwd');
    fs.writeFileSync(outside, 'root:x:0:0\n');
    fs.writeFileSync(path.join(root, 'ws-evil', 'c.py'), 'z = 3\n');
    fs.symlinkSync(outside, path.join(ws, 'flows', 'link.py'));
    scope = { folders: [ws], pathMappings: { '/app/src': mapped } };
  });

  it('opens files inside a workspace folder or a path mapping without asking', () => {
    assert.deepEqual(decideOpen(path.join(ws, 'flows', 'a.py'), scope), { open: true, file: path.join(ws, 'flows', 'a.py') });
    assert.deepEqual(decideOpen(path.join(mapped, 'b.py'), scope), { open: true, file: path.join(mapped, 'b.py') });
  });

  it('asks before opening a file outside them, naming it: an absolute path, ../, a sibling folder with the same prefix, a symlink out', () => {
    for (const f of [
      outside,
      path.join(ws, '..', 'passwd'),
      path.join(ws, 'flows', '..', '..', 'passwd'),
      path.join(root, 'ws-evil', 'c.py'),
      path.join(ws, 'flows', 'link.py'),
    ]) {
      const d = decideOpen(f, scope);
      assert.equal(d.open, false, `${f} opens without asking`);
      assert.ok(!d.open && d.file && d.reason.length > 0);
    }
    assert.equal((decideOpen(outside, scope) as { file: string }).file, outside);
  });

  it('asks about a relative path or one with a NUL rather than guessing where it is', () => {
    assert.equal(decideOpen('flows/a.py', scope).open, false);
    assert.equal(decideOpen(`${ws}/flows/a.py\0.txt`, scope).open, false);
  });

  it('with no workspace folder and no mappings, asks about everything', () => {
    assert.equal(decideOpen(path.join(ws, 'flows', 'a.py'), { folders: [], pathMappings: {} }).open, false);
  });
});
