/**
 * The team store under concurrent writers (issue 17): four writer processes on two "machines"
 * (each machine its own workspace folder and host name, two writers each writing into the
 * machine's shared runs at the same time) write into one real PostgreSQL through
 * openTeamStore().apply / appendOutput / endRun, re-sending overlapping batches; one of them is
 * killed with SIGKILL while its batch's transaction is open (seen in pg_stat_activity) and run
 * again from the start. Nothing is lost, nothing duplicated, no run holds part of the killed
 * batch, every run's counts equal a recount of its spans. Also: a reader in another process is
 * told of a writer's run live, and a reader's listener that loses the server (a restart while
 * it cannot log in) reconnects and is told what was written meanwhile.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pg from 'pg';
import { openTeamStore, type ConnectionState, type TeamStore } from '../../src/core/store/pg';
import type { StoreChange } from '../../src/core/store/types';
import { createTestDatabase, restartServer, type TestDatabase } from './helpers/postgres';
import {
  batchCount,
  batchSpans,
  ERR_LINES,
  errLines,
  finalSpans,
  hostOf,
  machineOf,
  OUT_LINES,
  outLines,
  ownRun,
  runsOf,
  sharedRun,
  spanOf,
  type WriterPlan,
} from './helpers/teamWriterPlan';

const WRITER = path.join(__dirname, 'helpers', 'teamWriter.cjs');
const ROOT = path.resolve(__dirname, '..', '..');

interface Writer {
  name: string;
  child: ChildProcess;
  lines: string[];
  stderr: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when the writer prints a line `pred` accepts (or rejects when it exits first). */
  until(pred: (line: string) => boolean): Promise<string>;
}

/** A writer process in its machine's workspace folder, with that machine's host name. */
function startWriter(db: TestDatabase, plan: WriterPlan, workspace: string, url = db.url): Writer {
  const child = spawn(process.execPath, [WRITER, JSON.stringify(plan)], {
    cwd: workspace,
    env: {
      ...process.env,
      NODE_PATH: path.join(ROOT, 'node_modules'),
      PGPASSWORD: db.password,
      RUNLENS_TEAM_URL: url,
      HOSTNAME: hostOf(machineOf(plan.name)),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const w: Writer = {
    name: plan.name,
    child,
    lines: [],
    stderr: '',
    exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
    until: (pred) =>
      new Promise((resolve, reject) => {
        const hit = w.lines.find(pred);
        if (hit) return resolve(hit);
        const onLine = (line: string) => {
          if (!pred(line)) return;
          off();
          resolve(line);
        };
        const onExit = () => {
          off();
          reject(new Error(`writer ${plan.name} exited before the line awaited:\n${w.lines.slice(-5).join('\n')}\n${w.stderr}`));
        };
        const off = () => {
          waiters.delete(onLine);
          child.off('exit', onExit);
        };
        waiters.add(onLine);
        child.once('exit', onExit);
      }),
  };
  const waiters = new Set<(line: string) => void>();
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    const parts = (partial + d).split('\n');
    partial = parts.pop()!;
    for (const line of parts) {
      w.lines.push(line);
      for (const f of [...waiters]) f(line);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (w.stderr += d));
  return w;
}

async function exitedOk(w: Writer): Promise<void> {
  const { code, signal } = await w.exited;
  assert.equal(code, 0, `writer ${w.name} exited ${code ?? signal}: ${w.stderr}`);
  assert.equal(w.lines.at(-1), 'done');
}

/** The local TCP ports of a process's sockets (its connections to the server), from /proc. */
function clientPorts(pid: number): number[] {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      /* closed meanwhile */
    }
  }
  const ports: number[] = [];
  for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length > 9 && inodes.has(cols[9]!)) ports.push(parseInt(cols[1]!.split(':')[1]!, 16));
  }
  return ports;
}

/** Resolves when `pred` holds for a change told (checked on each), or rejects after `ms`. */
function changeWatch(store: TeamStore) {
  const seen: StoreChange[] = [];
  const waiters: { pred: (c: StoreChange) => boolean; resolve: () => void }[] = [];
  store.onChange((c) => {
    seen.push(c);
    for (const x of [...waiters])
      if (x.pred(c)) {
        waiters.splice(waiters.indexOf(x), 1);
        x.resolve();
      }
  });
  return {
    seen,
    until: (pred: (c: StoreChange) => boolean, ms: number, what: string) =>
      seen.some(pred)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`not told within ${ms} ms: ${what}`)), ms);
            waiters.push({ pred, resolve: () => (clearTimeout(timer), resolve()) });
          }),
  };
}

/** Per run, its counters and a recount of its spans, read in one snapshot. */
async function countsVsRecount(admin: pg.Client) {
  await admin.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
  try {
    const { rows } = await admin.query<{
      id: string;
      span_count: number;
      error_count: number;
      running_count: number;
      n: string;
      e: string;
      r: string;
    }>(
      `SELECT r.id, r.span_count, r.error_count, r.running_count,
              (SELECT count(*) FROM runlens.spans s WHERE s.part = r.part AND s.run_id = r.id) AS n,
              (SELECT count(*) FROM runlens.spans s WHERE s.part = r.part AND s.run_id = r.id AND s.status IN ('ERROR', 'INCOMPLETE')) AS e,
              (SELECT count(*) FROM runlens.spans s WHERE s.part = r.part AND s.run_id = r.id AND s.status = 'RUNNING') AS r
       FROM runlens.runs r ORDER BY r.id`,
    );
    return rows.map((x) => ({
      id: x.id,
      counted: [x.span_count, x.error_count, x.running_count],
      recount: [Number(x.n), Number(x.e), Number(x.r)],
    }));
  } finally {
    await admin.query('COMMIT');
  }
}

describe('team store: concurrent writers on two machines (real PostgreSQL, real processes)', function () {
  this.timeout(180_000);
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  const stores: TeamStore[] = [];
  const clients: pg.Client[] = [];

  const workspace = (machine: string) => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), `runlens-team-${machine}-`));
    dirs.push(d);
    return d;
  };
  const admin = async (db: TestDatabase) => {
    const c = new pg.Client({ connectionString: db.adminUrl });
    c.on('error', () => undefined); // a server restart ends it
    await c.connect();
    clients.push(c);
    return c;
  };
  const writer = (db: TestDatabase, plan: WriterPlan, ws: string, url?: string) => {
    const w = startWriter(db, plan, ws, url);
    children.push(w.child);
    return w;
  };

  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const s of stores.splice(0)) await s.close();
    for (const c of clients.splice(0)) await c.end().catch(() => undefined);
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('4 writers, 2 machines, shared runs, re-sent batches and a writer killed mid-batch: nothing lost, nothing twice', async () => {
    const db = await createTestDatabase();
    const plans: WriterPlan[] = ['a0', 'a1', 'b0', 'b1'].map((name) => ({ name, spans: 20_000, batch: 500 }));
    const spaces = { a: workspace('a'), b: workspace('b') };
    // A reader in this process, told of every writer's runs as they write.
    const reader = await openTeamStore({ url: db.url, password: db.password });
    stores.push(reader);
    const told = changeWatch(reader);
    const sql = await admin(db);

    const writers = new Map(plans.map((p) => [p.name, writer(db, p, spaces[machineOf(p.name) as 'a' | 'b'])]));
    const victim = writers.get('a0')!;
    await victim.until((l) => l === 'batch 8 started');
    // Kill it while its batch's transaction has written rows and not committed (a transaction id is assigned).
    let seen: { state: string; backend_xid: string; query: string } | undefined;
    let ports: number[] = [];
    while (!seen) {
      ports = clientPorts(victim.child.pid!);
      const { rows } = await sql.query<{ state: string; backend_xid: string; query: string }>(
        `SELECT state, backend_xid::text, left(query, 80) AS query FROM pg_stat_activity
         WHERE datname = current_database() AND backend_xid IS NOT NULL AND client_port = ANY($1::int[])`,
        [ports],
      );
      if (rows[0]) {
        victim.child.kill('SIGKILL');
        seen = rows[0];
      } else if (victim.child.exitCode !== null) assert.fail('the writer ended before it could be killed mid-batch');
    }
    assert.equal((await victim.exited).signal, 'SIGKILL');
    const started = victim.lines.filter((l) => /^batch \d+ started$/.test(l)).at(-1)!;
    const killedBatch = Number(/\d+/.exec(started)![0]);
    const committed = victim.lines.includes(`batch ${killedBatch} applied`);
    // The server notices the dead connection and rolls its transaction back.
    for (;;) {
      const { rows } = await sql.query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'runlens' AND backend_xid IS NOT NULL AND client_port = ANY($1::int[])",
        [ports],
      );
      if (Number(rows[0]!.n) === 0) break;
    }
    const plan0 = plans[0]!;
    const fresh = batchSpans(plan0, killedBatch).map((i) => spanOf(plan0.name, i).spanId);
    const { rows: present } = await sql.query<{ n: string }>('SELECT count(*) AS n FROM runlens.spans WHERE span_id = ANY($1::text[])', [
      fresh,
    ]);
    const n = Number(present[0]!.n);
    assert.ok(n === 0 || n === fresh.length, `batch ${killedBatch} of the killed writer is all or none: ${n} of ${fresh.length} spans`);
    if (committed) assert.equal(n, fresh.length, `batch ${killedBatch} was acknowledged: all of it stored`);
    for (const r of await countsVsRecount(sql)) assert.deepEqual(r.counted, r.recount, `run ${r.id} right after the kill`);

    // Run again from the start: everything re-sent.
    const again = writer(db, plan0, spaces.a);
    for (const w of [again, ...[...writers.values()].filter((w) => w !== victim)]) await exitedOk(w);

    // Every span exactly once, in its final form, in its run; nothing else.
    const expected = new Map(plans.flatMap(finalSpans).map((s) => [`${s.traceId} ${s.spanId}`, s]));
    const { rows } = await sql.query<{ trace_id: string; span_id: string; run_id: string; status: string; end_ns: string | null }>(
      'SELECT trace_id, span_id, run_id, status, end_ns::text FROM runlens.spans',
    );
    assert.equal(rows.length, expected.size, 'as many span rows as spans sent');
    const keys = new Set<string>();
    for (const r of rows) {
      const k = `${r.trace_id} ${r.span_id}`;
      assert.ok(!keys.has(k), `span ${k} stored twice`);
      keys.add(k);
      const want = expected.get(k);
      assert.ok(want, `span ${k} was never sent`);
      assert.deepEqual([r.run_id, r.status, r.end_ns], [want.runId, want.status, want.endNs!.toString()], `span ${k}`);
    }
    // Runs: the eight there are, counts equal to a recount and to the plan, statuses as derived.
    const runIds = [...new Set(plans.flatMap((p) => runsOf(p.name)))].sort();
    const counts = await countsVsRecount(sql);
    assert.deepEqual(
      counts.map((c) => c.id),
      runIds,
    );
    for (const c of counts) {
      const mine = [...expected.values()].filter((s) => s.runId === c.id);
      assert.deepEqual(c.counted, c.recount, `run ${c.id}: counts equal a recount`);
      assert.deepEqual(c.counted, [mine.length, mine.filter((s) => s.status === 'ERROR').length, 0], `run ${c.id}: counts as sent`);
    }
    const { rows: runs } = await sql.query<{ id: string; status: string; origin_host: string }>(
      'SELECT id, status, origin_host FROM runlens.runs ORDER BY id',
    );
    for (const r of runs) {
      assert.equal(r.status, r.id.startsWith('run-') ? 'PARTIAL' : 'FAILED', `run ${r.id}`);
      assert.equal(r.origin_host, hostOf(r.id.startsWith('run-') ? r.id[4]! : r.id[7]!), `run ${r.id}'s machine`);
    }
    // Output: every line once, at its number.
    for (const p of plans) {
      const want = new Map<string, string>();
      for (let b = 0; b < batchCount(p); b++) {
        const o = outLines(p, b);
        o.lines.forEach((t, j) => want.set(`${ownRun(p.name)} ${o.start + j}`, t));
        const e = errLines(p, b);
        e.lines.forEach((t, j) => want.set(`${sharedRun(machineOf(p.name), 0)} ${e.start + j}`, t));
      }
      const { rows: out } = await sql.query<{ run_id: string; seq: number; text: string }>(
        "SELECT run_id, seq, text FROM runlens.output WHERE run_id = $1 OR (run_id = $2 AND text LIKE $3 || ' %')",
        [ownRun(p.name), sharedRun(machineOf(p.name), 0), p.name],
      );
      assert.equal(out.length, want.size, `${p.name}: ${batchCount(p)} × ${OUT_LINES + ERR_LINES} output lines`);
      for (const o of out) assert.equal(o.text, want.get(`${o.run_id} ${o.seq}`), `${o.run_id} line ${o.seq}`);
    }
    // The reader here was told of every run as it was written.
    for (const id of runIds) await told.until((c) => c.type === 'spans' && c.runIds.includes(id), 10_000, `${id}'s spans`);
    assert.equal(reader.getRun(ownRun('b1'))!.status, 'PARTIAL');
    console.log(
      `      (killed a0 in batch ${killedBatch}, ${seen.state}, ${committed ? 'committed' : 'rolled back'}: ${n} of ${fresh.length} of its spans; ${rows.length} spans)`,
    );
  });

  it("tells a reader in another process of a writer's run while it is written", async () => {
    const db = await createTestDatabase();
    const reader = await openTeamStore({ url: db.url, password: db.password });
    stores.push(reader);
    const told = changeWatch(reader);
    const w = writer(db, { name: 'b0', spans: 6_000, batch: 500 }, workspace('b'));
    await w.until((l) => l === 'batch 0 applied');
    const t0 = Date.now();
    await told.until((c) => c.type === 'spans' && c.runIds.includes(ownRun('b0')), 5_000, "the writer's first batch");
    const latency = Date.now() - t0;
    const run = reader.getRun(ownRun('b0'))!;
    assert.ok(run.spanCount > 0 && reader.spanHeads(run.id).length >= run.spanCount, 'its spans are there to read');
    assert.equal(reader.runOrigins().get(run.id)?.host, hostOf('b'), 'with the machine it ran on');
    await exitedOk(w);
    await told.until(
      (c) => c.type === 'runs' && c.runIds.includes(ownRun('b0')) && reader.getRun(ownRun('b0'))!.status === 'PARTIAL',
      5_000,
      'its end',
    );
    console.log(`      (told ${latency} ms after the writer's first batch was acknowledged)`);
  });

  /** A reader loses its listener (the server restarts while the reader's role may not log in); another writer writes; the reader is let back in. */
  async function reconnectCase(earlierRun: boolean): Promise<void> {
    const db = await createTestDatabase();
    const role = new URL(db.url).username;
    const at = 1_760_000_000_000_000_000n;
    if (earlierRun) {
      const first = await openTeamStore({ url: db.url, password: db.password });
      first.apply({ runs: [{ id: 'earlier', name: 'earlier', source: 'launch', startNs: at, attributes: {} }], spans: [] });
      await first.close();
    }
    const reader = await openTeamStore({ url: db.url, password: db.password });
    stores.push(reader);
    const told = changeWatch(reader);
    const states: ConnectionState[] = [];
    const stateWaiters = new Set<() => void>();
    reader.onConnection((s) => {
      states.push(s);
      for (const f of [...stateWaiters]) f();
    });
    const state = (pred: (s: ConnectionState, i: number) => boolean, what: string) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no connection state within 30 s: ${what} (${JSON.stringify(states)})`)), 30_000);
        const check = () => {
          if (!states.some(pred)) return;
          clearTimeout(timer);
          stateWaiters.delete(check);
          resolve();
        };
        stateWaiters.add(check);
        check();
      });
    const sql = await admin(db);
    await sql.query(`ALTER ROLE ${role} NOLOGIN`);
    restartServer();
    await state((s) => !s.connected, 'lost');
    // Another writer (a superuser may still log in) writes a run meanwhile.
    const other = await openTeamStore({ url: db.adminUrl });
    stores.push(other);
    const id = 'written-while-away';
    other.apply({ runs: [{ id, name: 'nightly', source: 'launch', startNs: at, attributes: {} }], spans: [] });
    assert.ok(!told.seen.some((c) => c.runIds.includes(id)), 'not told while disconnected');
    const lostAt = states.length;
    const back = await admin(db);
    await back.query(`ALTER ROLE ${role} LOGIN`);
    await state((s, i) => s.connected && i >= lostAt, 'reconnected');
    await told.until((c) => c.type === 'runs' && c.runIds.includes(id), 10_000, 'the run written while it was away');
    assert.equal(reader.getRun(id)?.name, 'nightly');
  }

  it('a reader whose listener loses the server reconnects and is told what was written meanwhile', () => reconnectCase(true));

  it('the same on a new team database: a reader that had seen no run yet is told of the first one written while it was away', () =>
    reconnectCase(false));
});
