// The Runlens user stories of issue 5, in a real VS Code (code-server) in real Chromium.
// One workbench for the whole file: the stories follow each other the way a person works
// (run twice → the tree → the code → the lens → the timeline → compare → attach).
// Each story asserts what a person sees; a missing feature fails it, nothing is skipped.
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Locator } from 'playwright-core';
import { buildExtension, EXTENSION_DIR, extensionId } from './lib/extension';
import { useSession } from './lib/mocha';
import { FIXTURES_DIR, REPO_ROOT } from './lib/paths';
import { watch } from './lib/proc';
import { pollUntil, UI_TIMEOUT, type Workbench } from './lib/workbench';
import { EXAMPLE, FAILED_STEP, markedLine as markedLineIn, WORKFLOW } from '../scenario';

const RUNS_VIEW = 'Runs';
const RUN_TIMEOUT = 120_000;
const COMPARE_COMMAND = 'Runlens: Compare With…';
/** A second workflow: the example with --reset, which clears the cache that makes it fail. */
const CACHE_RESET = 'cache reset';
/** The staged manager, whose implementation stage hangs (its watchdog set far away). */
const HUNG_WORKFLOW = 'staged manager';
/** A plain-Node workflow whose `parse` step throws (the debugger for Node ships with VS Code). */
const NODE_WORKFLOW = 'node flow';
// An attached run is named after its service; once the root span arrives the name may also
// carry the root span's name (`e2e-attached: attached-workflow`).
const ATTACHED_RUN = /^\s*e2e-attached(: attached-workflow)?\s*$/;

/** 1-based line of a `# RUNLENS-MARK: <mark>` comment in a file of the repository. */
const markedLine = (rel: string, mark: string): number => markedLineIn(REPO_ROOT, rel, mark);

/** Top-level run rows of the Runs view with this label, newest first (the tree's order). */
async function runRows(wb: Workbench, label: string | RegExp): Promise<Array<{ description: string }>> {
  return (await wb.treeRows(RUNS_VIEW)).filter(
    (r) => r.level === 1 && (typeof label === 'string' ? r.label === label : label.test(r.label)),
  );
}

function firstRun(wb: Workbench, label: string | RegExp): Locator {
  return wb.treeItems(RUNS_VIEW, label).and(wb.page.locator('[aria-level="1"]')).first();
}

describe('Runlens in VS Code (code-server + Chromium)', function () {
  const RAISE_LINE = markedLine(EXAMPLE, 'validate-raises');
  const RUNLENS_ID = extensionId(EXTENSION_DIR);

  const s = useSession(async () => {
    await buildExtension();
    return {
      extensions: [EXTENSION_DIR],
      workspace: {
        copy: [
          [path.join(REPO_ROOT, 'examples'), 'examples'],
          [path.join(FIXTURES_DIR, 'node_flow.js'), 'node_flow.js'],
        ],
        // A repository, as users' workspaces are: a run's context records its commit and uncommitted files.
        git: true,
        settings: {
          'runlens.workflows': [
            { name: WORKFLOW, command: 'python3', args: [EXAMPLE] },
            { name: CACHE_RESET, command: 'python3', args: [EXAMPLE, '--reset'] },
            { name: HUNG_WORKFLOW, command: 'python3', args: ['examples/staged_manager.py'], env: { STAGE_TIMEOUT_SECONDS: '120' } },
            { name: NODE_WORKFLOW, command: 'node', args: ['node_flow.js'] },
          ],
        },
      },
    };
  });

  it('runs a workflow from the command palette: its terminal shows output, the run appears in the tree and turns FAILED on the second run', async () => {
    const wb = s.session.workbench;
    // First run: succeeds and leaves the cache behind.
    await wb.runCommand('Runlens: Run Workflow…');
    await wb.pickQuickPickItem(WORKFLOW);
    await wb.waitForTerminalText(/done: \{'tests': 4\}/, RUN_TIMEOUT);
    await wb.openViewContainer('Runlens');
    await pollUntil(
      'the first run to show SUCCESS in the Runs view',
      () => runRows(wb, WORKFLOW),
      (r) => r.length === 1 && r[0]!.description.startsWith('SUCCESS'),
      RUN_TIMEOUT,
    );

    // Second run: the persisted cache makes `validate` fail.
    await wb.runCommand('Runlens: Run Workflow…');
    await wb.pickQuickPickItem(WORKFLOW);
    await wb.waitForTerminalText(/ValueError: duplicate test ids/, RUN_TIMEOUT);
    const rows = await pollUntil(
      'the second run to show FAILED above the first',
      () => runRows(wb, WORKFLOW),
      (r) => r.length === 2 && r[0]!.description.startsWith('FAILED'),
      RUN_TIMEOUT,
    );
    assert.match(rows[0]!.description, /^FAILED\b.*\bexit 1\b/);
    assert.match(rows[1]!.description, /^SUCCESS\b/);
  });

  it('expanding the failed run shows the failed step with its error', async () => {
    const wb = s.session.workbench;
    const step = await wb.expandUntil(RUNS_VIEW, firstRun(wb, WORKFLOW), FAILED_STEP);
    assert.match(await wb.description(step), /^ValueError: duplicate test ids: t1\b/);
    await s.session.screenshot('runs-tree');
  });

  it('clicking the failed step opens the file with the cursor on the line that raised', async () => {
    const wb = s.session.workbench;
    const step = await wb.expandUntil(RUNS_VIEW, firstRun(wb, WORKFLOW), FAILED_STEP);
    await step.click();
    const editor = await wb.waitForEditor(`/${EXAMPLE}`, RAISE_LINE);
    assert.equal(editor.tab, path.basename(EXAMPLE));
  });

  it('shows a CodeLens above the failing line, and clicking it opens the run timeline', async () => {
    const wb = s.session.workbench;
    const lens = wb.codeLens(new RegExp(`^\\s*${FAILED_STEP} failed`));
    try {
      await lens.first().waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    } catch {
      throw new Error(`no "${FAILED_STEP} failed" CodeLens; the editor shows lenses: ${JSON.stringify(await wb.codeLenses())}`);
    }
    const lenses = (await wb.codeLenses()).filter((l) => l.text.startsWith(`${FAILED_STEP} failed`));
    assert.equal(lenses.length, 1, JSON.stringify(lenses));
    assert.deepEqual({ line: lenses[0]!.line, icon: lenses[0]!.icons[0] }, { line: RAISE_LINE, icon: 'error' });
    await s.session.screenshot('codelens');
    // The hover on that line says the same, with the run and the step's recent durations.
    const hover = await wb.hoverLine('validate-raises', /validate\s+failed\s+in\s+run/);
    assert.match(hover, /validate\s+failed\s+in\s+run\s+event\s+generation/);
    assert.match(hover, /ValueError: duplicate test ids: t1/);
    assert.match(hover, /Recent\s+durations/);
    await wb.page.keyboard.press('Escape');
    await lens.first().click();
    await wb.waitForTab(`Timeline: ${WORKFLOW}`);
  });

  it('the timeline shows the run steps as bars, and selecting one shows its detail', async () => {
    const wb = s.session.workbench;
    await wb.waitForTab(`Timeline: ${WORKFLOW}`);
    const frame = wb.webview(RUNLENS_ID);
    const row = (name: string): Locator =>
      frame
        .locator('[role=tree][aria-label="Spans"] [role=treeitem]:not([hidden])')
        .filter({ has: frame.locator('.nm', { hasText: new RegExp(`^${name.replace(/\./g, '\\.')}$`) }) })
        .first();
    for (const name of ['TestGenerationWorkflow.run', 'start', 'generate', FAILED_STEP]) {
      await row(name).waitFor({ state: 'visible', timeout: UI_TIMEOUT });
      const bar = await row(name).locator('.bar-b').boundingBox();
      assert.ok(bar && bar.width > 0, `the ${name} row has no visible bar`);
    }
    // The lens opened the timeline on the failed span: it is selected and its detail shown.
    await pollUntil(
      `${FAILED_STEP} selected by the CodeLens`,
      () => row(FAILED_STEP).getAttribute('aria-selected'),
      (v) => v === 'true',
    );
    const detail = frame.locator('aside[aria-label="Span details"]');
    await detail.locator('h2', { hasText: new RegExp(`^${FAILED_STEP}$`) }).waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    const showsDetailOf = async (name: string, event: string): Promise<void> => {
      await row(name).click();
      await pollUntil(
        `${name} selected`,
        () => row(name).getAttribute('aria-selected'),
        (v) => v === 'true',
      );
      await detail.locator('h2', { hasText: new RegExp(`^${name}$`) }).waitFor({ state: 'visible', timeout: UI_TIMEOUT });
      // The keys are toolkit grid cells: Playwright's text of one includes its shadow root's
      // whitespace around <slot>, so the pattern allows blanks at both ends.
      await detail.locator('.d-key', { hasText: /^\s*workflow\.event\s*$/ }).waitFor({ state: 'visible', timeout: UI_TIMEOUT });
      await detail.getByText(event, { exact: true }).first().waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    };
    await showsDetailOf('start', 'StartEvent');
    await showsDetailOf(FAILED_STEP, 'ValidateEvent');
    await detail
      .getByText(/^ValueError: duplicate test ids: t1\b/)
      .first()
      .waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await s.session.screenshot('timeline');
  });

  it('compare mode shows that the second run failed in validate where the first succeeded', async () => {
    const wb = s.session.workbench;
    await wb.waitForTab(`Timeline: ${WORKFLOW}`);
    await wb.runCommand(COMPARE_COMMAND);
    // The baseline: the earlier, successful run of the same workflow.
    await wb.pickQuickPickItem(new RegExp(WORKFLOW), { filter: 'SUCCESS' });
    const frame = wb.webview(RUNLENS_ID);
    await frame
      .getByText(/Comparing with baseline/)
      .first()
      .waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await frame.getByText(`◆ First divergence: ${FAILED_STEP}`, { exact: true }).first().waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await s.session.screenshot('compare');
  });

  it("the CodeLens's Compare with last success explains what changed: the left-over cache file, then the first divergent step", async () => {
    const wb = s.session.workbench;
    await wb.runCommand('View: Close All Editors');
    await wb.openFile(EXAMPLE);
    const lens = wb.codeLens(/^\s*Compare with last success\s*$/);
    await lens.first().waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await lens.first().click();
    // Beside the two runs in the timeline: the Run Diff report.
    await wb.waitForTab('Run Diff: event generation');
    const report = await wb.webviewShowing(RUNLENS_ID, 'h1:has-text("Why did it fail this time?")');
    const around = report.locator('#around');
    await around.getByText('Changed around the run').waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await around
      .getByText(/examples\/\.cache\/ appeared \(ignored by git\)/)
      .first()
      .waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    const divergence = report.locator('#divergence');
    await divergence.locator('.path', { hasText: new RegExp(`\\b${FAILED_STEP}\\b`) }).waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await divergence
      .getByText(/ValueError: duplicate test ids: t1/)
      .first()
      .waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    const first = await report.locator('ol.summary li').first().innerText();
    assert.match(first, /^Working tree differs: examples\/\.cache\/ appeared \(ignored by git\)/);
    await s.session.screenshot('run-diff');
    // The stories after this one see one webview at a time.
    await wb.runCommand('View: Close All Editors');
  });

  it('attach: a process started outside VS Code that exports OTLP to the shown endpoint appears live', async () => {
    const wb = s.session.workbench;
    const port = await wb.collectorPort();
    const { child, output, exited } = watch('python3', [path.join(FIXTURES_DIR, 'attach_otlp.py'), `http://127.0.0.1:${port}`]);
    try {
      await pollUntil(
        'the attached process to export its first span',
        async () => output(),
        (o) => o.includes('exported attach.load'),
        UI_TIMEOUT,
      );
      // Live: the run and its first step are in the tree while the process still runs.
      await wb.openViewContainer('Runlens');
      const run = await wb.treeItem(RUNS_VIEW, ATTACHED_RUN, UI_TIMEOUT);
      await wb.expandUntil(RUNS_VIEW, run, 'attach.load');
      assert.equal(child.exitCode, null, 'the attached process ended before the check');
      // Its root span has not been exported yet: the trace is still going.
      await pollUntil(
        'the attached run to show RUNNING while the process is alive',
        () => runRows(wb, ATTACHED_RUN),
        (r) => r.length === 1 && r[0]!.description.startsWith('RUNNING'),
      );
      await s.session.screenshot('runs-tree-live');
      child.stdin.end('go\n');
      assert.equal(await exited, 0, output());
      await wb.expandUntil(RUNS_VIEW, firstRun(wb, ATTACHED_RUN), 'attach.finish');
      await pollUntil(
        'the attached run to end as SUCCESS',
        () => runRows(wb, ATTACHED_RUN),
        (r) => r.length === 1 && r[0]!.description.startsWith('SUCCESS'),
      );
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('lists the failed step in Problems at the failing line, and a passing run of the workflow clears it', async () => {
    const wb = s.session.workbench;
    const entry = (rows: string[]) => rows.filter((r) => /validate failed .*ValueError: duplicate test ids/.test(r));
    const rows = await pollUntil(
      'the Problems entry of the failed step',
      () => wb.problems(),
      (r) => entry(r).length === 1,
    );
    assert.match(entry(rows)[0]!, new RegExp(`\\b${RAISE_LINE}\\b`), `the entry names line ${RAISE_LINE}`);
    await s.session.screenshot('problems');
    // Clear the example's cache, then run it again: it passes, so the entry goes.
    await wb.runCommand('Runlens: Run Workflow…');
    await wb.pickQuickPickItem(CACHE_RESET);
    await wb.waitForTerminalText(/cache cleared|removed|reset/i, RUN_TIMEOUT);
    await wb.runCommand('Runlens: Run Workflow…');
    await wb.pickQuickPickItem(WORKFLOW);
    await pollUntil(
      'a third run of the workflow to show SUCCESS',
      () => runRows(wb, WORKFLOW),
      (r) => r.length === 3 && r[0]!.description.startsWith('SUCCESS'),
      RUN_TIMEOUT,
    );
    await pollUntil(
      'the Problems entry to go',
      () => wb.problems(),
      (r) => entry(r).length === 0,
    );
  });

  it('shows a hanging stage RUNNING with a live elapsed time, and stopped with the run once the user stops it (CANCELLED)', async () => {
    const wb = s.session.workbench;
    await wb.runCommand('Runlens: Run Workflow…');
    await wb.pickQuickPickItem(HUNG_WORKFLOW);
    await wb.openViewContainer('Runlens');
    const stage = await wb.expandUntil(RUNS_VIEW, firstRun(wb, HUNG_WORKFLOW), 'implementation', 5, RUN_TIMEOUT);
    const first = await pollUntil(
      'the stage to show running with its elapsed time',
      () => wb.description(stage),
      (d) => /^running · \d/.test(d),
    );
    await pollUntil(
      'the elapsed time to tick',
      () => wb.description(stage),
      (d) => /^running · \d/.test(d) && d !== first,
    );
    assert.match((await runRows(wb, HUNG_WORKFLOW))[0]!.description, /^RUNNING\b/);
    await s.session.screenshot('runs-tree-running');
    await wb.runCommand('Runlens: Stop');
    await pollUntil(
      'the stopped run to show CANCELLED with its signal',
      () => runRows(wb, HUNG_WORKFLOW),
      (r) => r.length === 1 && /^CANCELLED\b.*SIG(TERM|KILL)/.test(r[0]!.description),
      RUN_TIMEOUT,
    );
    const stopped = await wb.expandUntil(RUNS_VIEW, firstRun(wb, HUNG_WORKFLOW), 'implementation');
    await pollUntil(
      'the stage to be marked stopped with the run',
      () => wb.description(stopped),
      (d) => /^stopped with the run\b/.test(d),
    );
  });

  it('filters the runs tree by status, and clears the filter', async () => {
    const wb = s.session.workbench;
    await wb.openViewContainer('Runlens');
    await wb.runCommand('Runlens: Filter Runs…');
    await wb.toggleQuickPickItem('FAILED');
    await wb.toggleQuickPickItem('CANCELLED');
    await wb.acceptQuickInput();
    await wb.acceptQuickInput(); // no text filter
    const rows = await pollUntil(
      'only FAILED and CANCELLED runs in the tree',
      async () => (await wb.treeRows(RUNS_VIEW)).filter((r) => r.level === 1),
      (r) => r.length >= 2 && r.every((x) => /^(FAILED|CANCELLED)\b/.test(x.description)),
    );
    assert.deepEqual(rows.map((r) => r.label).sort(), [HUNG_WORKFLOW, WORKFLOW].sort());
    await wb.runCommand('Runlens: Clear Filter');
    await pollUntil(
      'every run back',
      async () => (await wb.treeRows(RUNS_VIEW)).filter((r) => r.level === 1),
      (r) => r.some((x) => x.description.startsWith('SUCCESS')),
    );
  });

  it("shows each step function's history above it, and picking a run opens its timeline at that step", async () => {
    const wb = s.session.workbench;
    await wb.openFile(EXAMPLE);
    const defLine = markedLine(EXAMPLE, 'validate-def');
    await wb.goToLine(defLine);
    // Three runs of the workflow reached validate: passed, failed (once the cache was left behind), passed.
    const lens = await pollUntil(
      'the history lens above validate',
      async () => (await wb.codeLenses()).filter((l) => l.line === defLine && /\bruns\b/.test(l.text)),
      (l) =>
        l.length === 1 &&
        /^3 runs · failed 1 of last 3 · first after examples\/\.cache\/ appeared · p50 \S+ \S+ · p95 \S+ \S+ · last: OK$/.test(l[0]!.text),
    );
    assert.equal(lens[0]!.icons[0], 'history');
    await wb
      .codeLens(/^\s*3 runs · failed 1 of last 3/)
      .first()
      .click();
    await wb.pickQuickPickItem(/event generation/, { filter: 'ERROR' });
    await wb.waitForTab(`Timeline: ${WORKFLOW}`);
    const frame = wb.webview(RUNLENS_ID);
    const detail = frame.locator('aside[aria-label="Span details"]');
    await detail.locator('h2', { hasText: new RegExp(`^${FAILED_STEP}$`) }).waitFor({ state: 'visible', timeout: UI_TIMEOUT });
  });

  it('Debug from Here: stops the debugger on the failing line, and the debugged run is traced as a new run', async () => {
    const wb = s.session.workbench;
    const throwLine = markedLineIn(FIXTURES_DIR, 'node_flow.js', 'node-throws');
    await wb.runCommand('Runlens: Run Workflow…');
    await wb.pickQuickPickItem(NODE_WORKFLOW);
    await wb.openViewContainer('Runlens');
    await pollUntil(
      'the node workflow to fail',
      () => runRows(wb, NODE_WORKFLOW),
      (r) => r.length === 1 && r[0]!.description.startsWith('FAILED'),
      RUN_TIMEOUT,
    );
    const step = await wb.expandUntil(RUNS_VIEW, firstRun(wb, NODE_WORKFLOW), 'parse');
    await step.click();
    await wb.waitForEditor('/node_flow.js', throwLine);
    await wb.runCommand('Runlens: Debug from Here');
    await wb.page.locator('.debug-toolbar').first().waitFor({ state: 'visible', timeout: RUN_TIMEOUT });
    await pollUntil(
      'the debugger paused on the failing line',
      () => wb.activeEditor(),
      (e) => e.uri.endsWith('/node_flow.js') && e.line === throwLine,
      RUN_TIMEOUT,
    );
    await s.session.screenshot('debug-from-here');
    await wb.openViewContainer('Runlens');
    await pollUntil(
      'the debugged run in the tree, running',
      () => runRows(wb, `${NODE_WORKFLOW} (debug)`),
      (r) => r.length === 1 && r[0]!.description.startsWith('RUNNING'),
    );
    // Continue (F5) past the breakpoint — the line runs once per row — until the step throws
    // and the process exits 1.
    await pollUntil(
      'the debugged run to end with its failure',
      async () => {
        if (await wb.page.locator('.debug-toolbar').first().isVisible()) await wb.page.keyboard.press('F5');
        else await wb.openViewContainer('Runlens'); // the workbench shows Run and Debug while debugging
        return runRows(wb, `${NODE_WORKFLOW} (debug)`);
      },
      // js-debug sends no DAP `exited` event, so the exit code is unknown: the failed step
      // makes the run PARTIAL (an adapter that reports the exit code makes it FAILED).
      (r) => r.length === 1 && /^(FAILED|PARTIAL)\b/.test(r[0]!.description),
      RUN_TIMEOUT,
    );
    // Traced under the debugger: the helper posted its events to the collector.
    const step2 = await wb.expandUntil(RUNS_VIEW, firstRun(wb, `${NODE_WORKFLOW} (debug)`), 'parse');
    assert.match(await wb.description(step2), /^TypeError: expected 3 fields, got 2: d,e/);
  });
});
