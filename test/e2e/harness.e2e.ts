// The harness proves itself on a tiny probe extension (test/fixtures/e2e/probe-extension):
// if these pass and a Runlens story fails, the story found a product problem, not a harness one.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { extensionId } from './lib/extension';
import { useSession } from './lib/mocha';
import { FIXTURES_DIR } from './lib/paths';
import { pollUntil } from './lib/workbench';

// RUNLENS_E2E_PROBE_DIR: a modified copy of the probe, to check that a broken extension makes
// these stories fail (see README).
const PROBE = process.env.RUNLENS_E2E_PROBE_DIR
  ? path.resolve(process.env.RUNLENS_E2E_PROBE_DIR)
  : path.join(FIXTURES_DIR, 'probe-extension');
const PROBE_ID = extensionId(PROBE);

describe('E2E harness (probe extension in code-server + Chromium)', function () {
  const s = useSession(() => ({
    extensions: [PROBE],
    workspace: { copy: [[path.join(FIXTURES_DIR, 'probe-workspace'), '.']] },
  }));

  it('runs a command by its palette title and picks a quick pick item', async () => {
    const wb = s.session.workbench;
    await wb.runCommand('Probe: Pick Fruit…');
    await wb.pickQuickPickItem('banana');
    await wb.openViewContainer('Probe');
    await wb.treeItem('Items', 'picked banana');
  });

  it("saves a failure's screenshot and the extension's own log channel as artifacts", async () => {
    const session = s.session;
    // The probe logged the pick of the first story through its LogOutputChannel.
    await pollUntil(
      'the probe log channel file to hold the pick',
      async () =>
        session
          .extensionLogFiles(PROBE_ID)
          .map((f) => readFileSync(f, 'utf8'))
          .join(''),
      (text) => text.includes('picked banana'),
    );
    const dir = await session.saveFailureArtifacts('harness self-check');
    try {
      assert.ok(statSync(path.join(dir, 'screenshot.png')).size > 1_000, 'no screenshot');
      assert.match(readFileSync(path.join(dir, 'code-server.log'), 'utf8'), /HTTP server listening/);
      const saved = readdirSync(path.join(dir, 'logs'), { recursive: true, encoding: 'utf8' });
      const probeLog = saved.find((f) => f.endsWith(path.join(PROBE_ID, 'Probe.log')));
      assert.ok(probeLog, `no ${PROBE_ID}/Probe.log in the saved logs: ${JSON.stringify(saved)}`);
      assert.match(readFileSync(path.join(dir, 'logs', probeLog), 'utf8'), /picked banana/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads a tree item description and opens its target at a line', async () => {
    const wb = s.session.workbench;
    const parent = await wb.treeItem('Items', 'parent');
    assert.equal(await wb.description(parent), 'DONE 3 items');
    const child = await wb.expandUntil('Items', parent, 'child-fails');
    assert.equal(await parent.getAttribute('aria-expanded'), 'true');
    assert.equal(await wb.description(child), 'ValueError: boom');
    await child.click();
    const editor = await wb.waitForEditor('/sample.py', 3);
    assert.equal(editor.tab, 'sample.py');
  });

  it('finds a tree item that arrives after its parent was expanded', async () => {
    const wb = s.session.workbench;
    await wb.runCommand('Probe: Add Late Child');
    const parent = await wb.treeItem('Items', 'parent');
    await wb.expandUntil('Items', parent, 'late-child-1');
  });

  it('reads a CodeLens above its line, and clicking it opens a webview that can be queried', async () => {
    const wb = s.session.workbench;
    await wb.codeLens('probe failed here').first().waitFor();
    const lenses = await wb.codeLenses();
    assert.deepEqual(lenses, [{ text: 'probe failed here', icons: ['error'], line: 3 }]);
    await wb.codeLens('probe failed here').first().click();
    await wb.waitForTab('Probe Panel');
    const frame = wb.webview(PROBE_ID);
    await frame.locator('.bar[data-id="b"]').click();
    await frame.locator('#detail', { hasText: 'selected b' }).waitFor();
  });

  it('reads what the terminal shows', async () => {
    const wb = s.session.workbench;
    await wb.runCommand('Terminal: Create New Terminal');
    await s.session.page.locator('.part.panel .terminal-wrapper.active .xterm').waitFor();
    await wb.waitForTerminalText(/[$#]\s*$/);
    await wb.typeInTerminal('echo probe-$((6*7))\n');
    await wb.waitForTerminalText(/^probe-42$/m);
  });

  it('fails with what is on screen when a command, quick pick item or tree item is missing', async () => {
    const wb = s.session.workbench;
    await assert.rejects(wb.runCommand('Probe: No Such Command', 5_000), /"Probe" shows: .*Probe: Pick Fruit…/);
    await assert.rejects(wb.treeItem('Items', 'no such item', 2_000), /it shows: .*parent/);
    await assert.rejects(
      wb.expandUntil('Items', await wb.treeItem('Items', 'parent'), 'no such child', 5, 2_000),
      /no item no such child under .*child-fails/,
    );
    await wb.runCommand('Probe: Pick Fruit…');
    await assert.rejects(wb.pickQuickPickItem('durian', { timeoutMs: 3_000 }), /the quick pick shows: .*apple/);
    await s.session.page.keyboard.press('Escape');
  });
});
