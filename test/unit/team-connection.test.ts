/**
 * The window's team store connection (src/extension/teamConnection.ts) against a real
 * PostgreSQL (Debian's, started by test/unit/helpers/postgres.ts) and the real team store
 * (src/core/store/pg): it connects with the password given, says a refused password is a
 * password problem and keeps retrying until disposed, refuses a URL that carries a password
 * without connecting, says an unreachable server is one; and what another machine writes reaches
 * this window's Runs tree live (the runs tree over both stores, treeSources.ts).
 */
import { strict as assert } from 'node:assert';
import { openTeamStore } from '../../src/core/store/pg';
import { TraceStore, type StoreChange } from '../../src/core/store/store';
import { TeamConnection, urlLabel } from '../../src/extension/teamConnection';
import { RunsTreeModel } from '../../src/extension/treeModel';
import { SourcesTreeModel, type TeamState, type TreeNode } from '../../src/extension/treeSources';
import { createTestDatabase, type TestDatabase } from './helpers/postgres';

const T0 = 1_700_000_000_000_000_000n;

/** The states a connection reports, and a wait for one that satisfies `pred` (checked as each arrives). */
class Watch {
  readonly states: TeamState[] = [];
  private readonly waiters: { pred: (s: TeamState) => boolean; resolve: (s: TeamState) => void }[] = [];

  push(s: TeamState): void {
    this.states.push(s);
    for (const x of [...this.waiters]) {
      if (!x.pred(s)) continue;
      this.waiters.splice(this.waiters.indexOf(x), 1);
      x.resolve(s);
    }
  }

  until(pred: (s: TeamState) => boolean): Promise<TeamState> {
    const hit = this.states.find(pred);
    return hit ? Promise.resolve(hit) : new Promise<TeamState>((resolve) => this.waiters.push({ pred, resolve }));
  }
}

describe('team store connection (real PostgreSQL)', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  const conns: TeamConnection[] = [];
  const log: string[] = [];

  before(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    for (const c of conns.splice(0)) await c.dispose();
  });

  function connect(url: string, password: string | undefined) {
    const w = new Watch();
    const c = new TeamConnection(url, password, {
      open: openTeamStore,
      log: (m) => log.push(m),
      retryDelayMs: () => 50,
      onState: (s) => w.push(s),
    });
    conns.push(c);
    c.start();
    return { c, w };
  }

  it('connects with the password given and names the database without it', async () => {
    const { c, w } = connect(db.url, db.password);
    const s = await w.until((x) => x.status === 'connected');
    assert.equal(w.states[0]!.status, 'connecting');
    assert.equal(w.states[0]!.label, urlLabel(db.url));
    assert.ok(c.openStore, 'the store is open');
    assert.ok(!s.label.includes(db.password) && !JSON.stringify(w.states).includes(db.password), 'no password in what the tree shows');
    assert.deepEqual(c.openStore!.listRuns(), []);
  });

  it('says a refused password is a password problem, retries, and stops when disposed', async () => {
    const { c, w } = connect(db.url, 'wrong-password');
    const failed = await w.until((x) => x.status === 'failed');
    assert.equal(failed.passwordProblem, true, failed.error);
    assert.ok(!failed.error!.includes('wrong-password'), 'the password is never echoed');
    // It keeps trying (a password set meanwhile, a database back up).
    await w.until(() => w.states.filter((x) => x.status === 'failed').length >= 3);
    assert.ok(c.retrying);
    const n = w.states.length;
    await c.dispose();
    assert.equal(c.retrying, false, 'no retry scheduled after dispose');
    assert.equal(w.states.length, n, 'nothing reported after dispose (an attempt in flight included)');
    assert.equal(c.openStore, undefined);
  });

  it('refuses a URL with a password in it without connecting', () => {
    const { c, w } = connect(db.urlWithPassword, undefined);
    assert.equal(w.states.length, 1);
    assert.equal(w.states[0]!.status, 'failed');
    assert.match(w.states[0]!.error!, /carries a password/);
    assert.ok(!JSON.stringify(w.states).includes(db.password));
    assert.equal(c.openStore, undefined);
  });

  it('says an unreachable server is unreachable (not a password problem)', async () => {
    const { w } = connect('postgres://runlens@127.0.0.1:1/runlens', 'x');
    const failed = await w.until((x) => x.status === 'failed');
    assert.ok(!failed.passwordProblem, failed.error);
    assert.match(failed.error!, /unreachable|ECONNREFUSED/);
  });

  it("shows what another machine writes in this window's tree, live", async () => {
    const workspace = await TraceStore.open();
    const writer = await openTeamStore({ url: db.url, password: db.password });
    try {
      const { c, w } = connect(db.url, db.password);
      await w.until((x) => x.status === 'connected');
      const team = c.openStore!;
      const tree = new SourcesTreeModel(new RunsTreeModel(workspace), (s) => new RunsTreeModel(s, { source: 'team' }));
      tree.setTeam(c.current, team);
      const changes: StoreChange[] = [];
      let wake: (() => void) | undefined;
      team.onChange((ch) => (changes.push(ch), wake?.()));
      const teamRow = tree.roots()[1]!;
      const id = `remote-${Date.now()}`;
      const nextChange = () => new Promise<void>((r) => (wake = r));
      // Until the tree shows `want` under the team row (each store change folded in as the provider would).
      const until = async (want: (rows: TreeNode[]) => boolean) => {
        for (;;) {
          if (changes.length) tree.applyChanges('team', changes.splice(0));
          const rows = tree.children(teamRow);
          if (want(rows)) return rows;
          await nextChange();
        }
      };
      writer.apply({
        runs: [
          {
            id,
            name: 'nightly',
            status: 'RUNNING',
            source: 'launch',
            startNs: T0,
            attributes: {},
            context: { origin: { user: 'ci', host: 'runner-1' } },
          },
        ],
        spans: [],
      });
      const rows = await until((r) => r.some((e) => e.kind === 'run' && e.runId === id));
      const row = rows.find((e) => e.kind === 'run' && e.runId === id)!;
      assert.match(tree.item(row).description, /ci@runner-1$/);
      writer.apply({
        runs: [],
        spans: [
          {
            runId: id,
            traceId: 'd'.repeat(32),
            spanId: 'e'.repeat(16),
            name: 'fetch',
            kind: 1,
            startNs: T0,
            endNs: T0 + 1n,
            status: 'OK',
            attributes: {},
            events: [],
          },
        ],
      });
      await until(() => tree.children(row).some((e) => tree.item(e).label === 'fetch'));
    } finally {
      await writer.close();
      workspace.close();
    }
  });
});
