/**
 * The team store's own machinery (what the workspace store has no counterpart for): its schema
 * migrations, retention by dropping day partitions, what it never stores, and how it fails.
 * What both stores do is in store-contract.test.ts; concurrent writers in team-concurrency.
 */
import { strict as assert } from 'node:assert';
import pg from 'pg';
import { openTeamStore } from '../../src/core/store/pg';
import type { StoreChange } from '../../src/core/store/types';
import { spanFactory } from './helpers/spans';
import { createTestDatabase } from './helpers/postgres';

const span = spanFactory({ traceId: '9'.repeat(32), durationNs: 10n });

async function admin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

describe('team store (PostgreSQL)', function () {
  this.timeout(60_000);

  it('creates its schema once when two writers open a new database at the same time, and records the migration', async () => {
    const db = await createTestDatabase();
    const [a, b] = await Promise.all([
      openTeamStore({ url: db.url, password: db.password }),
      openTeamStore({ url: db.url, password: db.password }),
    ]);
    a.apply({ runs: [{ id: 'r1', name: 'x', source: 'launch' }], spans: [span('r1')] });
    assert.equal(b.getRun('r1')?.spanCount, 1);
    const versions = await admin(
      db.adminUrl,
      async (c) => (await c.query('SELECT version FROM runlens.schema_migrations ORDER BY 1')).rows,
    );
    assert.deepEqual(versions, [{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }], 'each migration once');
    await Promise.all([a.close(), b.close()]);
  });

  it('refuses a database a newer Runlens upgraded, saying to update', async () => {
    const db = await createTestDatabase();
    await (await openTeamStore({ url: db.url, password: db.password })).close();
    await admin(db.urlWithPassword, (c) => c.query('INSERT INTO runlens.schema_migrations (version) VALUES (99)'));
    await assert.rejects(
      openTeamStore({ url: db.url, password: db.password }),
      /version 99, newer than this Runlens knows.*update Runlens/,
    );
  });

  it('drops whole day partitions past the retention, with their runs, and tells the windows', async () => {
    const db = await createTestDatabase();
    const s = await openTeamStore({ url: db.url, password: db.password, retentionDays: 7 });
    s.apply({ runs: [{ id: 'old', name: 'old', source: 'launch' }], spans: [span('old')] });
    s.appendOutput('old', 'stdout', ['hi']);
    const today = Math.floor(Date.now() / 86_400_000);
    // The run as if received 10 days ago: moved into that day's partition.
    await admin(db.urlWithPassword, async (c) => {
      const p = today - 10;
      for (const t of ['spans', 'output', 'logs', 'metric_points'])
        await c.query(`CREATE TABLE runlens.${t}_d${p} PARTITION OF runlens.${t} FOR VALUES FROM (${p}) TO (${p + 1})`);
      await c.query('BEGIN');
      for (const t of ['spans', 'output']) {
        const { rows } = await c.query(
          `SELECT string_agg(column_name, ', ' ORDER BY ordinal_position) AS cols FROM information_schema.columns
           WHERE table_schema = 'runlens' AND table_name = $1 AND column_name <> 'part'`,
          [t],
        );
        const cols = String(rows[0].cols);
        await c.query(
          `INSERT INTO runlens.${t} (part, ${cols}) SELECT ${p}, ${cols} FROM runlens.${t} WHERE run_id = 'old' AND part = ${today}`,
        );
        await c.query(`DELETE FROM runlens.${t} WHERE run_id = 'old' AND part = ${today}`);
      }
      await c.query(`UPDATE runlens.runs SET part = ${p} WHERE id = 'old'`);
      await c.query('COMMIT');
    });
    s.apply({ runs: [{ id: 'new', name: 'new', source: 'launch' }], spans: [span('new')] });
    const deleted: string[] = [];
    s.onChange((c) => c.type === 'deleted' && deleted.push(...c.runIds));
    assert.deepEqual(s.dropExpired(), ['old']);
    assert.deepEqual(deleted, ['old']);
    assert.equal(s.getRun('old'), undefined);
    assert.equal(s.getRun('new')?.spanCount, 1, 'runs of kept days stay');
    const tables = await admin(db.urlWithPassword, async (c) =>
      (await c.query("SELECT tablename FROM pg_tables WHERE schemaname = 'runlens' AND tablename LIKE 'spans_d%' ORDER BY 1")).rows.map(
        (r) => r.tablename,
      ),
    );
    assert.deepEqual(tables, [`spans_d${today}`], 'the old day was dropped as a table, not row by row');
    await s.close();
  });

  it("keeps a span in its run when another run sends its ids from another day's partition", async () => {
    const db = await createTestDatabase();
    const s = await openTeamStore({ url: db.url, password: db.password });
    const held = span('first');
    s.apply({ runs: [{ id: 'first', name: 'first', source: 'launch' }], spans: [held] });
    const today = Math.floor(Date.now() / 86_400_000);
    await admin(db.urlWithPassword, async (c) => {
      const p = today - 1;
      await c.query(`CREATE TABLE runlens.spans_d${p} PARTITION OF runlens.spans FOR VALUES FROM (${p}) TO (${p + 1})`);
      await c.query(`UPDATE runlens.spans SET part = ${p} WHERE run_id = 'first'`);
      await c.query(`UPDATE runlens.runs SET part = ${p} WHERE id = 'first'`);
    });
    const result = s.apply({
      runs: [{ id: 'second', name: 'second', source: 'import' }],
      spans: [{ ...held, runId: 'second' }, span('second')],
    });
    assert.deepEqual(result.conflicts, [{ traceId: held.traceId, spanId: held.spanId, runId: 'first' }]);
    assert.equal(s.getRun('second')?.spanCount, 1);
    assert.equal(s.getSpans('first').length, 1);
    await s.close();
  });

  it('merges two patches of one run in the same batch', async () => {
    const db = await createTestDatabase();
    const s = await openTeamStore({ url: db.url, password: db.password });
    s.apply({
      runs: [
        { id: 'r', name: 'r', source: 'launch', attributes: { a: 1 } },
        { id: 'r', attributes: { b: 2 }, workflow: 'w' },
      ],
      spans: [],
    });
    const run = s.getRun('r')!;
    assert.deepEqual([run.name, run.workflow, run.attributes], ['r', 'w', { a: 1, b: 2 }]);
    await s.close();
  });

  it('reads around rows no Runlens wrote (anyone with the role can write any row): each costs only itself', async () => {
    const db = await createTestDatabase();
    const s = await openTeamStore({ url: db.url, password: db.password });
    const failed = span('good', { status: 'ERROR', events: [{ name: 'exception', timeNs: 1n, attributes: { 'exception.message': 'x' } }] });
    s.apply({
      runs: [{ id: 'good', name: 'good', source: 'launch', attributes: { 'service.name': 'svc' } }],
      spans: [span('good', { resource: { 'service.name': 'svc' } }), failed],
      logs: [{ runId: 'good', timeNs: 1n, severityNumber: 9, body: 'ok', attributes: {} }],
      metrics: [{ runId: 'good', name: 'm', kind: 'gauge', timeNs: 1n, value: 1, attributes: {} }],
    });
    s.apply({ runs: [{ id: 'forged', name: 'forged', source: 'launch' }], spans: [span('forged')] });
    s.endRun('good', { exitCode: 1 });
    await admin(db.urlWithPassword, async (c) => {
      await c.query(`UPDATE runlens.runs SET attributes = 'not json', command = '{' WHERE id = 'forged'`);
      await c.query(`UPDATE runlens.spans SET events = 'garbage' WHERE span_id = $1`, [failed.spanId]);
      await c.query(`UPDATE runlens.resources SET attributes = '{{{'`);
      await c.query(`UPDATE runlens.run_digests SET digest = '{"v": 999}'`);
      await c.query(`INSERT INTO runlens.logs SELECT part, run_id, 'forged', time_ns, 9, NULL, 'x', 'nope' FROM runlens.logs LIMIT 1`);
      await c.query(`UPDATE runlens.metric_points SET attributes = '['`);
    });
    assert.deepEqual(
      s.listRuns().map((r) => r.id),
      ['good'],
      'the forged run is left out, the list still reads',
    );
    assert.equal(s.spanHeads('good').length, 1, 'the span whose events are garbage is left out of the heads');
    assert.equal(s.spanHeads('good')[0]!.service, undefined, 'a resource that is not JSON names no service');
    assert.deepEqual(
      s.getLogs('good').map((l) => l.body),
      ['ok'],
    );
    assert.deepEqual(s.getMetrics('good'), []);
    assert.equal(s.runDigest('good')?.spanCount, 2, 'a forged digest is recomputed');
    s.apply({
      runs: [],
      spans: [],
      logs: [{ runId: '', timeNs: 2n, severityNumber: 9, body: 'runless', attributes: {}, resource: { 'service.name': 'svc' } }],
    });
    assert.ok(
      s.getLogs('good').some((l) => l.body === 'runless'),
      'ingest still chooses a run past the forged one',
    );
    await s.close();
  });

  it('takes from the change channel only what a writer sends (anyone who may connect can notify it)', async () => {
    const db = await createTestDatabase();
    const s = await openTeamStore({ url: db.url, password: db.password });
    const told: StoreChange[] = [];
    s.onChange((c) => told.push(c));
    await admin(db.urlWithPassword, async (c) => {
      for (const payload of [
        'not json',
        '{"w": "x", "t": "apply", "r": [{"id": 1}]}',
        '{"w": "x", "t": "drop tables", "r": ["a"]}',
        JSON.stringify({ w: 'x', t: 'apply', r: Array.from({ length: 101 }, (_, i) => `r${i}`) }),
        JSON.stringify({ w: 'x', t: 'apply', r: ['x'.repeat(2000)] }),
        '[]',
        JSON.stringify({ w: 'other-writer', t: 'deleted', r: ['gone'] }),
      ])
        await c.query("SELECT pg_notify('runlens_changes', $1)", [payload]);
    });
    const deadline = Date.now() + 10_000;
    while (!told.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(told, [{ type: 'deleted', runIds: ['gone'] }], 'only the well-formed notice, after every malformed one was dropped');
    assert.deepEqual(s.listRuns(), [], 'and the store reads as before');
    await s.close();
  });

  it('never stores the password, and never shows it in an error', async () => {
    const db = await createTestDatabase();
    const s = await openTeamStore({ url: db.url, password: db.password });
    s.apply({ runs: [{ id: 'r1', name: 'x', source: 'launch', attributes: { note: 'hello' } }], spans: [span('r1')] });
    await s.close();
    const dump = await admin(db.urlWithPassword, async (c) => {
      const tables = (await c.query("SELECT tablename FROM pg_tables WHERE schemaname = 'runlens'")).rows.map((r) => r.tablename as string);
      let text = '';
      for (const t of tables)
        text += JSON.stringify((await c.query(`SELECT * FROM runlens.${t}`)).rows, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
      return text;
    });
    assert.ok(dump.includes('hello'));
    assert.ok(!dump.includes(db.password));
    await assert.rejects(openTeamStore({ url: db.url, password: 'wrong-' + db.password }), (err: Error) => {
      assert.match(err.message, /authentication failed/);
      assert.ok(!err.message.includes(db.password));
      return true;
    });
  });

  it('says what is wrong with a URL that is not a team database', async () => {
    await assert.rejects(openTeamStore({ url: 'mysql://x@y/z' }), /must start with postgres:\/\//);
    await assert.rejects(openTeamStore({ url: 'postgres://u@127.0.0.1:1/none', password: 'p' }), /unreachable/);
  });
});
