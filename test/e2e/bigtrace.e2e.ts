// A big stored run in real VS Code (issue 13): a workspace whose store already holds a trace
// of 100,000 spans (written before the window opens by `runlens import`, as a user would have
// imported it), listed in the Runs tree, and its timeline opened from the row's Open Timeline
// button: the panel opens and paints span rows. Waits are on what is on screen only.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildExtension, EXTENSION_DIR, extensionId } from './lib/extension';
import { useSession } from './lib/mocha';
import { REPO_ROOT } from './lib/paths';
import { cleanEnv } from './lib/proc';
import { pollUntil, UI_TIMEOUT } from './lib/workbench';

const SPANS = 100_000;
const SERVICE = 'e2e big trace';
/** Imported runs are named after the service and the root span. */
const RUN = `${SERVICE}: workflow`;

/**
 * One OTLP JSON trace of `spans` spans: a root `workflow`, then `step.N` spans nested eight to
 * a parent, one attribute each, every 97th an error. ≈ 290 bytes a span, so 100k fit the 32 MiB
 * one import takes.
 */
function otlpTrace(spans: number): unknown {
  const traceId = 'e2eb16'.padStart(32, '0');
  const base = 1_733_000_000_000_000_000n;
  const id = (i: number): string => (i + 1).toString(16).padStart(16, '0');
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: SERVICE } }] },
        scopeSpans: [
          {
            scope: { name: 'e2e' },
            spans: Array.from({ length: spans }, (_, i) => ({
              traceId,
              spanId: id(i),
              ...(i ? { parentSpanId: id(Math.floor((i - 1) / 8)) } : {}),
              name: i ? `step.${i % 17}` : 'workflow',
              startTimeUnixNano: String(base + BigInt(i) * 10_000n),
              endTimeUnixNano: String(base + BigInt(i) * 10_000n + (i ? 9_000n : BigInt(spans) * 10_000n)),
              attributes: [{ key: 'code.lineno', value: { intValue: String(100 + (i % 50)) } }],
              status: { code: i % 97 === 1 ? 2 : 0 },
            })),
          },
        ],
      },
    ],
  };
}

describe('A stored 100k-span run in VS Code (code-server + Chromium)', function () {
  const RUNLENS_ID = extensionId(EXTENSION_DIR);
  let scratch = '';

  const s = useSession(async () => {
    await buildExtension();
    // The store the workspace opens with: the trace imported by the built CLI into a
    // `.runlens` folder that becomes the workspace's.
    scratch = mkdtempSync(path.join(os.tmpdir(), 'runlens-e2e-bigtrace-'));
    const file = path.join(scratch, 'big-trace.json');
    writeFileSync(file, JSON.stringify(otlpTrace(SPANS)));
    execFileSync(
      process.execPath,
      [path.join(EXTENSION_DIR, 'bin', 'runlens.js'), 'import', file, '--db', path.join(scratch, 'store', 'traces.db')],
      {
        cwd: REPO_ROOT,
        env: cleanEnv(),
        stdio: 'pipe',
        timeout: 300_000,
      },
    );
    return { extensions: [EXTENSION_DIR], workspace: { copy: [[path.join(scratch, 'store'), '.runlens']], settings: {} } };
  });

  after(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('lists the stored 100k-span run in the Runs tree', async () => {
    const wb = s.session.workbench;
    await wb.openViewContainer('Runlens');
    const row = await wb.treeItem('Runs', RUN, UI_TIMEOUT * 2);
    // Every 97th span failed: the run says so.
    assert.match(await wb.description(row), /^FAILED\b/);
  });

  it('opens its timeline from the row, and the panel paints span rows', async () => {
    const wb = s.session.workbench;
    const row = await wb.treeItem('Runs', RUN);
    await row.hover();
    await row.locator('a.action-label[aria-label="Open Timeline"]').click();
    await wb.waitForTab(`Timeline: ${RUN}`);
    const frame = wb.webview(RUNLENS_ID);
    const rows = frame.locator('[role=tree][aria-label="Spans"] [role=treeitem]:not([hidden])');
    // 100k spans: the panel may take several seconds on a loaded machine.
    await rows.first().waitFor({ state: 'visible', timeout: UI_TIMEOUT * 4 });
    const names = await pollUntil(
      'the timeline to paint the root span and the steps below it',
      () => rows.locator('.nm').allTextContents(),
      (n) => n.length >= 10 && n[0]!.trim() === 'workflow' && n.slice(1).every((x) => /^step\.\d+$/.test(x.trim())),
      UI_TIMEOUT * 2,
    );
    // The panel's header counts every span of the run, not only those drawn.
    await frame
      .getByText(/\b100[,.\u202f\u00a0 ]?000 spans\b/)
      .first()
      .waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    // Drawn as a virtual list: a screenful of rows, not a hundred thousand elements.
    assert.ok(names.length < 1_000, `${names.length} rows in the DOM`);
    await s.session.screenshot('timeline-100k');
  });
});
