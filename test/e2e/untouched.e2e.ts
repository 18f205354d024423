// Issue 14 item 4: opening a folder that has no `.runlens/` and doing nothing leaves it as it
// was — Runlens activates, its Runs view shows and its collector listens (attach anytime), but
// no file is made until data arrives. Then one span sent to the collector makes `.runlens/`
// with that run in it, shown in the tree.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildExtension, EXTENSION_DIR, extensionId } from './lib/extension';
import { useSession } from './lib/mocha';
import { pollUntil, UI_TIMEOUT, type Workbench } from './lib/workbench';
import { makeWorkspace, type WorkspaceSpec } from './lib/workspace';

const RUNS_VIEW = 'Runs';
const SERVICE = 'e2e-untouched';
const STATUS = /Runlens\b.*:(\d+)/;

const WORKSPACE: WorkspaceSpec = {
  copy: [],
  files: { 'flow.py': 'print("a workflow nobody has run yet")\n', 'notes/readme.md': '# notes\n' },
  // An ephemeral port: the status bar says which.
  settings: { 'runlens.collector.port': 0 },
};

/** Every file and folder under `dir` (relative, `/`-separated), files with the hash of their content. */
function contents(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const abs = path.join(dir, rel);
    const key = rel.split(path.sep).join('/');
    out[key] = statSync(abs).isDirectory() ? 'dir' : createHash('sha256').update(readFileSync(abs)).digest('hex');
  }
  return out;
}

/** What the folder holds before anything runs in it: the same spec written to a scratch folder. */
function pristine(): Record<string, string> {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'runlens-e2e-pristine-'));
  try {
    return contents(makeWorkspace(scratch, WORKSPACE));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function collectorPort(wb: Workbench): Promise<number> {
  const texts = await pollUntil(
    "the Runlens status bar item with the collector's port",
    () => wb.statusBarTexts(),
    (t) => t.some((x) => STATUS.test(x)),
  );
  return Number(STATUS.exec(texts.find((x) => STATUS.test(x))!)![1]);
}

describe('Runlens in a folder with no .runlens/ (code-server + Chromium)', function () {
  const RUNLENS_ID = extensionId(EXTENSION_DIR);
  const s = useSession(async () => {
    await buildExtension();
    return { extensions: [EXTENSION_DIR], workspace: WORKSPACE };
  });
  let port = 0;

  it('opening the folder and doing nothing leaves it unchanged, with the Runs view shown and the collector listening', async () => {
    const wb = s.session.workbench;
    await wb.openViewContainer('Runlens');
    await wb.view(RUNS_VIEW).getByText('No runs yet.').first().waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    // The collector starts last in activate(): once the status bar names its port, activation is over.
    port = await collectorPort(wb);
    assert.ok(port > 0);
    assert.deepEqual(contents(s.session.workspaceDir), pristine(), 'the workspace folder is exactly as it was written');
    const log = await pollUntil(
      "Runlens's log to say the collector listens",
      async () =>
        s.session
          .extensionLogFiles(RUNLENS_ID)
          .map((f) => readFileSync(f, 'utf8'))
          .join(''),
      (text) => /collector listening/.test(text),
    );
    assert.match(log, /database .*traces\.db \(not there yet/);
  });

  it('one span sent to the collector makes .runlens/ with its run, shown in the Runs view', async () => {
    const wb = s.session.workbench;
    const body = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: SERVICE } }] },
          scopeSpans: [
            {
              scope: { name: 'e2e' },
              spans: [
                {
                  traceId: randomBytes(16).toString('hex'),
                  spanId: randomBytes(8).toString('hex'),
                  name: 'first-step',
                  kind: 1,
                  startTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
                  endTimeUnixNano: String((BigInt(Date.now()) + 20n) * 1_000_000n),
                  status: { code: 1 },
                },
              ],
            },
          ],
        },
      ],
    };
    const res = await fetch(`http://127.0.0.1:${port}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200, await res.text());
    await wb.treeItem(RUNS_VIEW, new RegExp(`^\\s*${SERVICE}\\b`), UI_TIMEOUT);

    const now = contents(s.session.workspaceDir);
    const made = Object.keys(now).filter((k) => k === '.runlens' || k.startsWith('.runlens/'));
    for (const f of ['.runlens', '.runlens/.gitignore', '.runlens/traces.db', '.runlens/traces.db.lock', '.runlens/traces.db.secret'])
      assert.ok(made.includes(f), `${f} missing; .runlens/ holds ${JSON.stringify(made)}`);
    const rest = Object.fromEntries(Object.entries(now).filter(([k]) => !made.includes(k)));
    assert.deepEqual(rest, pristine(), 'nothing but .runlens/ was added');
    // The lock names this window's collector, so `runlens run` in this folder sends its runs here.
    const lock = JSON.parse(readFileSync(path.join(s.session.workspaceDir, '.runlens', 'traces.db.lock'), 'utf8')) as {
      what?: string;
      endpoint?: string;
    };
    assert.equal(lock.what, 'VS Code');
    assert.match(lock.endpoint ?? '', new RegExp(`:${port}$`));
  });
});
