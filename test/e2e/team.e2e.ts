// Issue 17's done-when in real VS Code: two code-server workspaces on one team database (a real
// PostgreSQL, started here), and a run in one appears live in the other's tree. Each window has
// `runlens.database.url` in its USER settings and the password in PGPASSWORD only (never in a
// settings file). Two paths to the team store are shown:
//  - the CI path: `runlens run --db postgres://… -- python3 ci_job.py` records straight into the
//    database; window B shows the run under Team while it runs, labelled with who/where ran it,
//    its steps arriving as they happen (the job holds its second step open until B has shown it);
//  - the editor path: a workflow run in window A lands in A's workspace store, is published with
//    "Publish Run to Team Store", appears under Team in B, and its timeline opens in B.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Locator } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../unit/helpers/postgres';
import { EXAMPLE, WORKFLOW } from '../scenario';
import { buildExtension, EXTENSION_DIR, extensionId } from './lib/extension';
import { useSession } from './lib/mocha';
import { REPO_ROOT } from './lib/paths';
import { cleanEnv } from './lib/proc';
import type { SessionOptions } from './lib/session';
import { pollUntil, UI_TIMEOUT, type Workbench } from './lib/workbench';

const RUNS_VIEW = 'Runs';
/** How long a run may take to show in the other window (the store's own promise is a second). */
const LIVE_TIMEOUT = 30_000;
const RUN_TIMEOUT = 120_000;
const CI_RUN = 'nightly ci';
const TEAM_ROW = /^Team · /;

describe('Team store: two VS Code windows on one PostgreSQL (code-server + Chromium)', function () {
  const RUNLENS_ID = extensionId(EXTENSION_DIR);
  let db: TestDatabase | undefined;
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'runlens-e2e-team-'));
  let ci: ChildProcess | undefined;
  let ciOutput = '';

  // The database first (both windows' settings name it) and the build, once for both sessions,
  // when the first session starts (not when mocha loads the file).
  let ready: Promise<TestDatabase> | undefined;
  const options = async (): Promise<SessionOptions> => {
    ready ??= (async () => {
      db = await createTestDatabase();
      await buildExtension();
      return db;
    })();
    const { url, password } = await ready;
    return {
      extensions: [EXTENSION_DIR],
      workspace: {
        copy: [[path.join(REPO_ROOT, 'examples'), 'examples']],
        settings: { 'runlens.workflows': [{ name: WORKFLOW, command: 'python3', args: [EXAMPLE] }] },
      },
      // The URL in the user's settings (a workspace's would be ignored); the password in the environment.
      userSettings: { 'runlens.database.url': url },
      env: { PGPASSWORD: password },
    };
  };
  const a = useSession(options);
  const b = useSession(options);

  after(() => {
    if (ci && ci.exitCode === null) ci.kill('SIGKILL');
    rmSync(scratch, { recursive: true, force: true });
  });

  /** The run rows under the Team row of a window's Runs view (level 2 after it, until the next level-1 row). */
  async function teamRuns(wb: Workbench): Promise<Array<{ label: string; description: string }>> {
    const rows = await wb.treeRows(RUNS_VIEW);
    const at = rows.findIndex((r) => r.level === 1 && TEAM_ROW.test(r.label));
    if (at < 0) return [];
    const out: Array<{ label: string; description: string }> = [];
    for (const r of rows.slice(at + 1)) {
      if (r.level === 1) break;
      if (r.level === 2) out.push(r);
    }
    return out;
  }

  function teamRun(wb: Workbench, label: string): Locator {
    return wb.treeItems(RUNS_VIEW, label).and(wb.page.locator('[aria-level="2"]')).last();
  }

  it('each window shows its workspace store and the team store, labelled and connected', async () => {
    for (const s of [a, b]) {
      const wb = s.session.workbench;
      await wb.openViewContainer('Runlens');
      await wb.treeItem(RUNS_VIEW, 'Workspace');
      const team = await wb.treeItem(RUNS_VIEW, TEAM_ROW);
      const label = (await team.locator('.label-name').textContent()) ?? '';
      assert.match(label, /@127\.0\.0\.1:\d+\//, 'the team row names the database');
      assert.ok(!label.includes(db!.password), 'never the password');
      await pollUntil(
        'the team store to connect',
        () => wb.description(team),
        (d) => /^\d+ runs?$/.test(d),
        LIVE_TIMEOUT,
      );
    }
  });

  it('a CI job recorded by `runlens run --db postgres://…` shows in the other window live: the run, who ran it, its steps as they happen', async () => {
    const wb = b.session.workbench;
    const gate = path.join(scratch, 'go');
    const job = path.join(scratch, 'ci_job.py');
    copyFileSync(path.join(__dirname, 'fixtures', 'ci_job.py'), job);
    const cwd = path.join(scratch, 'ci-checkout');
    mkdirSync(cwd, { recursive: true });
    ci = spawn(
      process.execPath,
      [path.join(REPO_ROOT, 'dist', 'cli.js'), 'run', '--db', db!.url, '--name', CI_RUN, '--', 'python3', job, gate],
      {
        cwd,
        // The usual CI variables: the run's origin names the job.
        env: cleanEnv({
          PGPASSWORD: db!.password,
          GITHUB_ACTIONS: 'true',
          GITHUB_WORKFLOW: 'nightly',
          GITHUB_JOB: 'e2e',
          GITHUB_RUN_ID: '4242',
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    ci.stdout!.on('data', (d: Buffer) => (ciOutput += d.toString()));
    ci.stderr!.on('data', (d: Buffer) => (ciOutput += d.toString()));
    const exited = new Promise<number | null>((resolve) => ci!.on('exit', (code) => resolve(code)));
    try {
      // Running, and labelled with who and where (the run's context is recorded just after it starts).
      await pollUntil(
        'the CI run to show RUNNING under Team in window B, labelled with its origin',
        () => teamRuns(wb),
        (r) => r.some((x) => x.label === CI_RUN && /^RUNNING · .*@.+ · ci github nightly \/ e2e \/ 4242$/.test(x.description)),
        LIVE_TIMEOUT,
      );
      // Its steps, live: the second is still open (the job waits for the gate).
      const step = await wb.expandUntil(RUNS_VIEW, teamRun(wb, CI_RUN), 'integration tests', 3, LIVE_TIMEOUT);
      assert.match(await wb.description(step), /RUNNING|running/i);
      await wb.expandUntil(RUNS_VIEW, teamRun(wb, CI_RUN), 'checkout', 3, LIVE_TIMEOUT);
      // README's media/screenshots/vscode-team-store.png is this one (test-results/e2e/screenshots/, copied by hand).
      await b.session.screenshot('team-store-live');
      writeFileSync(gate, '');
      await wb.expandUntil(RUNS_VIEW, teamRun(wb, CI_RUN), 'report', 3, LIVE_TIMEOUT);
      await pollUntil(
        'the CI run to end SUCCESS in window B',
        () => teamRuns(wb),
        (r) => r.some((x) => x.label === CI_RUN && x.description.startsWith('SUCCESS')),
        LIVE_TIMEOUT,
      );
      assert.equal(await exited, 0, ciOutput);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- runlens run output:\n${ciOutput}`);
    }
  });

  it('a run in window A, published to the team store, appears in window B and its timeline opens there', async () => {
    const wa = a.session.workbench;
    await wa.runCommand('Runlens: Run Workflow…');
    await wa.pickQuickPickItem(WORKFLOW);
    await wa.waitForTerminalText(/done: \{'tests': 4\}/, RUN_TIMEOUT);
    await pollUntil(
      'the run to end in window A (workspace store)',
      async () => (await wa.treeRows(RUNS_VIEW)).filter((r) => r.level === 2 && r.label === WORKFLOW),
      (r) => r.length === 1 && r[0]!.description.startsWith('SUCCESS'),
      RUN_TIMEOUT,
    );
    // The run just launched is the one selected in the Runs view: Publish takes it (else it would ask with a QuickPick).
    await wa.runCommand('Runlens: Publish Run to Team Store');
    await pollUntil(
      'the published run under Team in window A',
      () => teamRuns(wa),
      (r) => r.some((x) => x.label === WORKFLOW),
      LIVE_TIMEOUT,
    );

    const wb = b.session.workbench;
    const rows = await pollUntil(
      'the published run under Team in window B',
      () => teamRuns(wb),
      (r) => r.some((x) => x.label === WORKFLOW && x.description.startsWith('SUCCESS')),
      LIVE_TIMEOUT,
    );
    assert.match(rows.find((x) => x.label === WORKFLOW)!.description, / · .+@.+$/, 'labelled with who ran it and where');
    // B has no such run of its own: the row is the team's, and its timeline opens from the team store.
    assert.equal((await wb.treeRows(RUNS_VIEW)).filter((r) => r.label === WORKFLOW).length, 1);
    await teamRun(wb, WORKFLOW).click();
    await wb.runCommand('Runlens: Open Timeline');
    // It opens the selected run, or asks (the runs of both stores, the team's marked "Team").
    const next = await pollUntil(
      'the timeline to open or a run to be asked for',
      async () =>
        (await wb.tabs()).some((t) => t.startsWith('Team · Timeline')) ? 'tab' : (await wb.quickPickItems()).length ? 'pick' : '',
      (v) => v !== '',
    );
    if (next === 'pick') await wb.pickQuickPickItem(WORKFLOW);
    await wb.waitForTab(`Team · Timeline: ${WORKFLOW}`);
    const frame = wb.webview(RUNLENS_ID);
    for (const name of ['start', 'generate', 'validate']) {
      await frame
        .locator('[role=tree][aria-label="Spans"] [role=treeitem]:not([hidden])')
        .filter({ has: frame.locator('.nm', { hasText: new RegExp(`^${name}$`) }) })
        .first()
        .waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    }
  });
});
