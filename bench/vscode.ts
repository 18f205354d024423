/**
 * The user's path in real VS Code (issue 13): the command *Runlens: Open Timeline* on a
 * stored run of 1k, 10k and 100k spans, picked in its QuickPick → the panel's tab (the
 * loading state a user sees) → the first span rows painted in the webview. Through the e2e
 * harness: code-server + Debian Chromium, the extension installed from its .vsix.
 *
 * Targets (issue 13, against Jaeger UI's open step on this machine class, 1.5–1.8 s): 10k
 * first rows ≤ 400 ms, 100k ≤ 1.5 s, the loading state ≤ 100 ms after the command.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TraceStore } from '../src/core/store/store';
import { ingestOtlpJson } from '../src/core/ingest/otlp';
import { median, otlpRequest } from './ingest';
import { buildExtension, EXTENSION_DIR, extensionId } from '../test/e2e/lib/extension';
import { Session } from '../test/e2e/lib/session';

const ROOT = path.resolve(__dirname, '..');
const SIZES = [1_000, 10_000, 100_000];
const label = (n: number) => `bench ${n / 1000}k`;

async function buildStore(dir: string): Promise<void> {
  const store = await TraceStore.open({ path: path.join(dir, 'traces.db'), snapshotIdleMs: 0 });
  let seed = 50_000;
  for (const n of SIZES) {
    const batch = ingestOtlpJson(otlpRequest(n, seed++));
    store.apply(batch);
    store.apply({ runs: [{ id: batch.runs[0]!.id, name: label(n) }], spans: [] });
  }
  await store.close();
}

export async function benchVscode(): Promise<unknown> {
  execFileSync('bash', [path.join(ROOT, 'test', 'e2e', 'setup')], { cwd: ROOT, stdio: 'ignore' });
  await buildExtension();
  const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-bench-store-'));
  await buildStore(storeDir);
  const session = await Session.start({ extensions: [EXTENSION_DIR], workspace: { copy: [[storeDir, '.runlens']], settings: {} } });
  const id = extensionId(EXTENSION_DIR);
  const results: Record<string, unknown> = {};
  try {
    const wb = session.workbench;
    await wb.waitForReady();
    for (const n of SIZES) {
      const tabs: number[] = [];
      const rows: number[] = [];
      for (let i = 0; i < 3; i++) {
        await wb.runCommand('View: Close All Editors');
        await wb.runCommand('Runlens: Open Timeline');
        await wb.pickQuickPickItem(label(n));
        const picked = Date.now();
        await wb.waitForTab(`Timeline: ${label(n)}`, 60_000);
        const tab = Date.now();
        const frame = wb.webview(id);
        await frame
          .locator('[role=tree][aria-label="Spans"] [role=treeitem]:not([hidden])')
          .first()
          .waitFor({ state: 'visible', timeout: 120_000 });
        const painted = Date.now();
        // From the pick (the command's QuickPick is the user choosing; the cost starts there).
        tabs.push(tab - picked);
        rows.push(painted - picked);
      }
      const first = median(rows);
      const loading = median(tabs);
      const target = n === 10_000 ? 400 : n === 100_000 ? 1500 : undefined;
      const met = (target === undefined || first <= target) && loading <= 100;
      console.log(
        `vscode: Open Timeline ${label(n).padEnd(11)} tab (loading state) ${loading} ms, first rows ${first} ms` +
          (target
            ? ` (targets: ≤ 100 ms, ≤ ${target} ms): ${met ? 'met' : 'NOT met'}`
            : ` (target: loading ≤ 100 ms): ${loading <= 100 ? 'met' : 'NOT met'}`),
      );
      results[`open timeline ${label(n)}`] = {
        loadingStateMs: loading,
        firstRowsMs: first,
        runs: rows,
        targetFirstRowsMs: target,
        targetLoadingMs: 100,
        met,
      };
    }
  } finally {
    await session.dispose();
    fs.rmSync(storeDir, { recursive: true, force: true });
  }
  return results;
}
