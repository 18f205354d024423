/**
 * The Runs view's context menus as VS Code evaluates them: package.json's `when` clauses
 * against the context values the tree model gives real runs of a real store.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beginRun } from '../../src/core/runner';
import { TraceStore } from '../../src/core/store/store';
import { RunsTreeModel, stoppable } from '../../src/extension/treeModel';
import { SourcesTreeModel } from '../../src/extension/treeSources';
import { REPO, tempDir } from './helpers/fixtures';

interface MenuItem {
  command: string;
  when?: string;
  group?: string;
}
const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { contributes: { menus: Record<string, MenuItem[]> } };

/** The subset of VS Code's when-clause language package.json uses: `||`, `&&`, `!`, `==`, `!=`, `=~`. */
function when(clause: string | undefined, ctx: Record<string, unknown>): boolean {
  if (!clause) return true;
  return clause.split('||').some((alt) =>
    alt.split('&&').every((raw) => {
      const term = raw.trim();
      let m = /^(\S+)\s*=~\s*\/(.*)\/(\w*)$/.exec(term);
      if (m) return new RegExp(m[2]!, m[3]).test(String(ctx[m[1]!] ?? ''));
      m = /^(\S+)\s*(==|!=)\s*(\S+)$/.exec(term);
      if (m) return (String(ctx[m[1]!]) === m[3]) === (m[2] === '==');
      if (term.startsWith('!')) return !ctx[term.slice(1).trim()];
      if (term === 'true' || term === 'false') return term === 'true';
      return !!ctx[term];
    }),
  );
}

/** Commands the Runs view's context menu (and its inline buttons) offers on a row. */
function offered(contextValue: string, keys: Record<string, unknown> = {}): Set<string> {
  const ctx = { view: 'runlens.runs', viewItem: contextValue, ...keys };
  return new Set(pkg.contributes.menus['view/item/context']!.filter((i) => when(i.when, ctx)).map((i) => i.command));
}

describe('Runs view context menus', () => {
  let store: TraceStore;
  let keyBefore: string | undefined;
  before(() => {
    keyBefore = process.env.RUNLENS_KEY_FILE;
    process.env.RUNLENS_KEY_FILE = path.join(tempDir(), 'launch.key');
  });
  after(() => {
    if (keyBefore === undefined) delete process.env.RUNLENS_KEY_FILE;
    else process.env.RUNLENS_KEY_FILE = keyBefore;
  });
  beforeEach(async () => {
    store = await TraceStore.open();
  });
  afterEach(() => store.close());

  it('offers Stop on a running run and never on a finished one', () => {
    const live = beginRun(store, { name: 'live', source: 'launch', command: ['python3', 'flow.py'], cwd: '/ws' });
    const ok = beginRun(store, { name: 'ok', source: 'launch', command: ['python3', 'flow.py'], cwd: '/ws' });
    const failed = beginRun(store, { name: 'failed', source: 'launch', command: ['python3', 'flow.py'], cwd: '/ws' });
    store.endRun(ok.id, { exitCode: 0 });
    store.endRun(failed.id, { exitCode: 1 });
    // As the extension builds it: Stop where this window controls the run (here: all of them).
    const model = new RunsTreeModel(store, { canStop: (r) => stoppable(r, () => true) });
    const menu = (id: string) => offered(model.item(model.runElement(id)).contextValue);
    assert.ok(menu(live.id).has('runlens.stopRun'), 'a running run can be stopped');
    for (const id of [ok.id, failed.id]) {
      const m = menu(id);
      assert.ok(!m.has('runlens.stopRun'), `Stop on a ${store.getRun(id)!.status} run`);
      assert.ok(m.has('runlens.rerun') && m.has('runlens.openTimeline') && m.has('runlens.deleteRun'), 'the other run actions stay');
    }
  });

  it("offers what reads on the team store's runs and steps, never Delete, Re-run, Stop, Debug or Publish", async () => {
    const team = await TraceStore.open();
    try {
      const mine = beginRun(store, { name: 'mine', source: 'launch', command: ['python3', 'flow.py'], cwd: '/ws' });
      store.endRun(mine.id, { exitCode: 1 });
      const theirs = beginRun(team, { name: 'theirs', source: 'launch', command: ['python3', 'flow.py'], cwd: '/ws' });
      team.apply({
        runs: [],
        spans: [
          {
            runId: theirs.id,
            traceId: 'c'.repeat(32),
            spanId: '1'.repeat(16),
            name: 'boom',
            kind: 1,
            startNs: 1_700_000_000_000_000_000n,
            endNs: 1_700_000_001_000_000_000n,
            status: 'ERROR',
            attributes: {},
            events: [],
          },
        ],
      });
      // Even where this window would otherwise offer Re-run and Stop (a run it launched with that id).
      const tree = new SourcesTreeModel(
        new RunsTreeModel(store, { canStop: () => true }),
        (s) => new RunsTreeModel(s, { source: 'team', canStop: () => true, rerunRefusal: () => undefined }),
      );
      tree.setTeam({ label: 'db', status: 'connected' }, team);
      const [wsRow, teamRow] = tree.roots();
      const teamRun = tree.children(teamRow)[0]!;
      const keys = { 'runlens.teamStore': true };
      const runMenu = offered(tree.item(teamRun).contextValue, keys);
      for (const c of ['openTimeline', 'goToSource', 'compareWith', 'compareWithLastSuccess', 'runDiff', 'exportRun', 'copyTraceId'])
        assert.ok(runMenu.has(`runlens.${c}`), `${c} on a team run`);
      for (const c of ['deleteRun', 'rerun', 'stopRun', 'debugFromHere', 'publishRun'])
        assert.ok(!runMenu.has(`runlens.${c}`), `no ${c} on a team run`);
      const stepMenu = offered(tree.item(tree.children(teamRun)[0]!).contextValue, keys);
      assert.ok(stepMenu.has('runlens.goToSource') && stepMenu.has('runlens.openTimeline') && !stepMenu.has('runlens.debugFromHere'));
      // Publish: on the workspace's runs, once there is a team store.
      const wsRun = tree.children(wsRow)[0]!;
      assert.ok(offered(tree.item(wsRun).contextValue, keys).has('runlens.publishRun'));
      assert.ok(!offered(tree.item(wsRun).contextValue).has('runlens.publishRun'));
      assert.ok(offered(tree.item(teamRow!).contextValue).has('runlens.setTeamPassword'));
      assert.equal(offered(tree.item(wsRow!).contextValue).size, 0);
    } finally {
      team.close();
    }
  });
});
