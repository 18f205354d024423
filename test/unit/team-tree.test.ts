/**
 * The Runs tree over two stores (src/extension/treeSources.ts): the workspace store and a team
 * store, each a real store (two in-memory TraceStores here: the tree does not care which backend
 * a store is; test/unit/team-connection.test.ts drives a real PostgreSQL one). Both sources
 * labelled, the same run id in both kept apart, the team's rows offering only what reads, a
 * store that is not connected never read, live changes of the team's, and the origin filter
 * over both with untrusted origin text.
 */
import { strict as assert } from 'node:assert';
import type { RunContext } from '../../src/core/context/types';
import { TraceStore } from '../../src/core/store/store';
import { RunsTreeModel, type TreeStore } from '../../src/extension/treeModel';
import { SourcesTreeModel, type TreeNode } from '../../src/extension/treeSources';
import { originChoices, originText } from '../../src/extension/treeOrigin';
import { spanFactory } from './helpers/spans';

const T0 = 1_700_000_000_000_000_000n;
const S = 1_000_000_000n;
const span = spanFactory({ traceId: 'b'.repeat(32), durationNs: S });

function run(id: string, startNs: bigint, origin?: RunContext['origin']) {
  return {
    id,
    name: id,
    workflow: id.replace(/-\d+$/, ''),
    status: 'RUNNING' as const,
    source: 'launch' as const,
    startNs,
    attributes: {},
    ...(origin ? { context: { origin } } : {}),
  };
}

describe('runs tree over the workspace and team stores', () => {
  let workspace: TraceStore;
  let team: TraceStore;
  let tree: SourcesTreeModel;
  const now = T0 + 100n * S;
  const label = (el: TreeNode) => tree.item(el).label;
  const labels = (els: TreeNode[]) => els.map(label);

  beforeEach(async () => {
    workspace = await TraceStore.open();
    team = await TraceStore.open();
    tree = new SourcesTreeModel(
      new RunsTreeModel(workspace, { now: () => now }),
      (s) => new RunsTreeModel(s, { now: () => now, source: 'team' }),
    );
  });
  afterEach(() => {
    workspace.close();
    team.close();
  });

  it('is the workspace tree as before when no team store is configured', () => {
    workspace.apply({ runs: [run('flow-1', T0), run('flow-2', T0 + S)], spans: [] });
    assert.deepEqual(labels(tree.roots()), ['flow-2', 'flow-1']);
    assert.equal(tree.parent(tree.roots()[0]!), undefined);
  });

  it('shows both sources, labelled, each with its own runs; a run in both is two rows', () => {
    workspace.apply({ runs: [run('local-1', T0), run('shared-1', T0 + S)], spans: [span('shared-1', { name: 'mine' })] });
    team.apply({ runs: [run('shared-1', T0 + S, { user: 'alice', host: 'ci-7' })], spans: [span('shared-1', { name: 'theirs' })] });
    tree.setTeam({ label: 'runlens@db:5432/runlens', status: 'connected' }, team);
    const roots = tree.roots();
    assert.deepEqual(labels(roots), ['Workspace', 'Team · runlens@db:5432/runlens']);
    assert.equal(tree.item(roots[0]!).description, '2 runs');
    assert.equal(tree.item(roots[1]!).description, '1 run');
    const [ws, tm] = [tree.children(roots[0]), tree.children(roots[1])];
    assert.deepEqual(labels(ws), ['shared-1', 'local-1']);
    assert.deepEqual(labels(tm), ['shared-1']);
    // The same run id: distinct elements and ids, each reading its own store.
    assert.notEqual(ws[0]!.id, tm[0]!.id);
    assert.deepEqual(labels(tree.children(ws[0])), ['mine']);
    assert.deepEqual(labels(tree.children(tm[0])), ['theirs']);
    assert.equal(tree.parent(tm[0]!), roots[1]);
    assert.equal(tree.parent(ws[0]!), roots[0]);
    const step = tree.children(tm[0])[0]!;
    assert.equal(tree.parent(step), tm[0]);
    assert.ok('source' in step && step.source === 'team');
  });

  it("labels a team run with who and where ran it, and gives its rows the team's context values", () => {
    team.apply({
      runs: [run('ci-1', T0, { user: 'bob', host: 'runner-3', ci: { provider: 'github', job: '1234' } })],
      spans: [span('ci-1')],
    });
    tree.setTeam({ label: 'db', status: 'connected' }, team);
    const r = tree.children(tree.roots()[1])[0]!;
    const v = tree.item(r);
    assert.match(v.description, /^RUNNING · .* · bob@runner-3 · ci github 1234$/);
    assert.match(v.contextValue, /^team:run(?!.*\+rerun)(?!.*\+stop)/);
    assert.match(tree.item(tree.children(r)[0]!).contextValue, /^team:span/);
  });

  it('reads nothing of a team store that is not connected, and says why with what to do', () => {
    tree.setTeam({ label: 'db', status: 'connected' }, team);
    team.apply({ runs: [run('t-1', T0)], spans: [] });
    const poisoned = new Proxy(team, {
      get: (t, k) => {
        if (['listRuns', 'getRun', 'getSpans', 'runOrigins', 'runsWithSpanMatching'].includes(String(k)))
          return () => assert.fail(`read ${String(k)} of a store that is not connected`);
        return Reflect.get(t, k);
      },
    }) as unknown as TreeStore;
    tree.setTeam({ label: 'db', status: 'failed', error: 'authentication failed for user "runlens"', passwordProblem: true }, poisoned);
    const teamRow = tree.roots()[1]!;
    assert.equal(tree.item(teamRow).description, 'not connected');
    assert.equal(tree.item(teamRow).contextValue, 'source-team-failed');
    const kids = tree.children(teamRow);
    assert.equal(kids.length, 1);
    const notice = tree.item(kids[0]!);
    assert.equal(notice.label, 'authentication failed for user "runlens"');
    assert.equal(notice.command, 'setTeamPassword');
    assert.match(notice.description, /Set Team Database Password/);
    tree.setTeam({ label: 'db', status: 'failed', error: 'unreachable: connect ECONNREFUSED 127.0.0.1:1' }, undefined);
    assert.equal(tree.item(tree.children(tree.roots()[1])[0]!).command, 'teamSettings');
    // The workspace is shown all the same.
    workspace.apply({ runs: [run('w-1', T0)], spans: [] });
    assert.deepEqual(labels(tree.children(tree.roots()[0])), ['w-1']);
  });

  it("folds the team store's live changes in: a run another machine starts appears, its steps as they arrive", () => {
    tree.setTeam({ label: 'db', status: 'connected' }, team);
    const teamRow = tree.roots()[1]!;
    assert.deepEqual(tree.children(teamRow), []);
    const seen: Parameters<TraceStore['onChange']>[0] extends (c: infer C) => void ? C[] : never = [];
    team.onChange((c) => seen.push(c));
    team.apply({ runs: [run('live-1', T0)], spans: [span('live-1', { name: 'first' })] });
    assert.equal(tree.applyChanges('team', seen.splice(0)).root, true);
    const r = tree.children(teamRow)[0]!;
    assert.deepEqual(labels(tree.children(r)), ['first']);
    team.apply({ runs: [], spans: [span('live-1', { name: 'second', startNs: T0 + 5n * S })] });
    // A change without spans (the team store's "read again") is enough.
    const refresh = tree.applyChanges(
      'team',
      seen.splice(0).map((c) => ({ type: c.type, runIds: c.runIds })),
    );
    assert.deepEqual(refresh, { root: false, elements: [r] });
    assert.deepEqual(labels(tree.children(r)), ['first', 'second']);
  });

  it('filters both sources by origin and says so', () => {
    workspace.apply({
      runs: [run('w-1', T0, { user: 'alice', host: 'laptop' }), run('w-2', T0 + S, { user: 'bob', host: 'laptop' })],
      spans: [],
    });
    team.apply({ runs: [run('t-1', T0, { user: 'alice', host: 'ci-1' }), run('t-2', T0 + S, { user: 'carol', host: 'ci-1' })], spans: [] });
    tree.setTeam({ label: 'db', status: 'connected' }, team);
    const choices = originChoices([tree.workspace.origins.all(), tree.team!.origins.all()]);
    assert.deepEqual(
      choices.filter((c) => c.kind === 'user').map((c) => [c.value, c.runs]),
      [
        ['alice', 2],
        ['bob', 1],
        ['carol', 1],
      ],
    );
    tree.setFilter({ origin: { kind: 'user', value: 'alice' } });
    assert.deepEqual(labels(tree.children(tree.roots()[0])), ['w-1']);
    assert.deepEqual(labels(tree.children(tree.roots()[1])), ['t-1']);
    assert.equal(tree.message(), 'Filtered: by user alice — 2 of 4 runs');
    // A team store connected later gets the filter in force.
    const later = new SourcesTreeModel(tree.workspace, (s) => new RunsTreeModel(s, { now: () => now, source: 'team' }));
    later.setTeam({ label: 'db', status: 'connected' }, team);
    assert.deepEqual(labels(later.children(later.roots()[1])), ['t-1']);
    tree.setFilter({ origin: undefined });
    assert.equal(tree.message(), undefined);
    assert.equal(tree.children(tree.roots()[1]).length, 2);
  });

  it('shows origin text from another machine as one bounded line without control characters', () => {
    const hostile = { user: 'eve\u001b[31m\nroot', host: `h${'x'.repeat(200)}`, ci: { provider: 'github', job: 'a\u202eb' } };
    team.apply({ runs: [run('t-1', T0, hostile)], spans: [] });
    const text = originText(team.runOrigins().get('t-1'));
    assert.doesNotMatch(text, /[\u0000-\u001f\u202e]/);
    assert.ok(text.length < 200, `bounded: ${text.length}`);
    assert.match(text, /^eve \[31m root@hx+… · ci github a b$/);
    for (const c of originChoices([team.runOrigins()])) assert.ok(c.value.length <= 80 && !/[\u0000-\u001f]/.test(c.value));
    assert.equal(originText(undefined), '');
  });
});
