/**
 * Issue 12: a bounded concurrency soak. Four `runlens run`, one `runlens serve` (taking OTLP
 * from this test) and two `runlens import` write one database at once; some of them are
 * killed with SIGKILL at random moments (chosen by a seeded generator, triggered by
 * conditions). Then an audit: every acknowledged span is stored exactly once, every run whose
 * process finished is complete, and no run is RUNNING without a live owner.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readLock, TraceStore } from '../../src/core/store/store';
import { buildCli, outcome, spawnCli, until, type CliResult } from './helpers/cli';
import { FIXTURES, tempDir, at } from './helpers/fixtures';
import { postJson } from './helpers/http';

const FLOW = path.join(FIXTURES, 'concurrency', 'step_flow.py');

interface Proc {
  label: string;
  child: ReturnType<typeof spawnCli>;
  done: Promise<CliResult>;
  killed: boolean;
}

function watch(label: string, child: ReturnType<typeof spawnCli>): Proc {
  return { label, child, done: outcome(child), killed: false };
}

const otlpSpan = (trace: number, i: number) => ({
  traceId: trace.toString(16).padStart(32, '0'),
  spanId: (trace * 100_000 + i + 1).toString(16).padStart(16, '0'),
  ...(i === 0 ? {} : { parentSpanId: (trace * 100_000 + 1).toString(16).padStart(16, '0') }),
  name: `otlp-${trace}-${i}`,
  startTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i) * 1000n),
  endTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(i) * 1000n + 500n),
});
const otlpBody = (spans: object[]) => ({
  resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'soak' } }] }, scopeSpans: [{ spans }] }],
});

describe('concurrency soak (bounded)', function () {
  this.timeout(120_000);
  before(() => buildCli());

  it('loses no acknowledged span and leaves no run RUNNING, with writers killed at random', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'traces.db');
    let seed = Number(process.env.RUNLENS_SOAK_SEED ?? 20261130);
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const env = { RUNLENS_KEY_FILE: path.join(dir, 'launch.key') };

    // Import files: two traces of 1,500 spans each, as OTLP JSON.
    const imports = [0, 1].map((k) => {
      const trace = 900 + k;
      const file = path.join(dir, `import-${k}.json`);
      fs.writeFileSync(file, JSON.stringify(otlpBody(Array.from({ length: 1500 }, (_, i) => otlpSpan(trace, i)))));
      return { file, trace };
    });

    const serve = watch('serve', spawnCli(['serve', '--db', db, '--port', '0'], dir, { env }));
    await until(() => readLock(db)?.endpoint !== undefined);
    const endpoint = readLock(db)!.endpoint!;

    const runs: Proc[] = [];
    for (let k = 0; k < 4; k++) {
      fs.writeFileSync(path.join(dir, `w${k}.go`), '');
      runs.push(
        watch(
          `run w${k}`,
          spawnCli(
            ['run', '--db', db, '--port', '0', '--no-stdin', '--name', `w${k}`, '--', 'python3', FLOW, `w${k}`, dir, '40', '0.01'],
            dir,
            { env },
          ),
        ),
      );
    }
    const importers = imports.map((im, k) => watch(`import ${k}`, spawnCli(['import', '--db', db, im.file], dir, { env })));

    // OTLP from "an SDK" to serve while it lives: each 200 is an acknowledgement.
    const acknowledged = new Set<string>();
    let serveGone = false;
    const sender = (async () => {
      for (let trace = 1; trace <= 40 && !serveGone; trace++) {
        const spans = Array.from({ length: 25 }, (_, i) => otlpSpan(trace, i));
        try {
          const reply = await postJson(`${endpoint}/v1/traces`, otlpBody(spans));
          if (reply.status === 200) for (const s of spans) acknowledged.add(s.spanId);
        } catch {
          serveGone = true;
        }
      }
    })();

    // Kill two to four of the seven writers, each once it has done something.
    const all = [serve, ...runs, ...importers];
    const victims = new Set<Proc>();
    while (victims.size < 2 + rand(3)) victims.add(at(all, rand(all.length)));
    await Promise.all(
      [...victims].map(async (p) => {
        if (p === serve) await until(() => acknowledged.size >= 250 || serveGone);
        else if (p.label.startsWith('run')) await until(() => fs.existsSync(path.join(dir, `${p.label.slice(4)}.started`)));
        if (p.child.exitCode === null && p.child.signalCode === null) {
          p.killed = true;
          process.kill(p.child.pid!, 'SIGKILL');
        }
      }),
    );
    if (victims.has(serve)) serveGone = true;
    await sender;
    const results = new Map<Proc, CliResult>();
    for (const p of all.filter((x) => x !== serve)) results.set(p, await p.done);
    if (!serve.killed) serve.child.kill('SIGINT');
    results.set(serve, await serve.done);

    // A writer opens the database last (as the next VS Code window would): it closes what dead recorders left.
    const store = await TraceStore.open({ path: db });
    try {
      const stored = new Map<string, number>();
      // Every run's spans: a span stored twice (in one run or in two) counts twice.
      for (const r of store.listRuns()) for (const s of store.getSpans(r.id)) stored.set(s.spanId, (stored.get(s.spanId) ?? 0) + 1);
      const lost = [...acknowledged].filter((id) => stored.get(id) !== 1);
      const runsStored = store.listRuns();
      let incompleteRuns = 0;
      const killedRuns: string[] = [];
      for (const p of runs) {
        const name = p.label.slice(4);
        const run = runsStored.find((r) => r.name === name);
        const result = results.get(p)!;
        if (!p.killed) {
          assert.equal(result.code, 0, `${p.label}: ${result.stderr}`);
          assert.ok(run, `${p.label} finished but its run is not stored`);
          assert.equal(run.status, 'SUCCESS', `${p.label}: ${run.status}`);
          assert.equal(store.getSpans(run.id).length, 40, `${p.label} has all its steps`);
        } else {
          killedRuns.push(`${name}: ${run ? `${run.status}, ${store.getSpans(run.id).length} spans` : 'not stored'}`);
          if (run?.status === 'INCOMPLETE') incompleteRuns++;
        }
      }
      for (const [k, p] of importers.entries()) {
        if (p.killed) continue;
        const result = results.get(p)!;
        assert.equal(result.code, 0, `${p.label}: ${result.stderr}`);
        const trace = at(imports, k).trace.toString(16).padStart(32, '0');
        const count = store
          .listRuns()
          .reduce((n, r) => n + Number(store.queryRun(r.id, 'SELECT count(*) AS n FROM spans WHERE trace_id = ?', [trace])[0]?.n ?? 0), 0);
        assert.equal(count, 1500, `${p.label} finished: all its spans are stored`);
      }
      const stuck = runsStored.filter((r) => r.status === 'RUNNING');
      for (const r of runsStored) {
        const actual = store.getSpans(r.id).length;
        assert.equal(r.spanCount, actual, `run ${r.id}'s span count matches its spans`);
      }
      const killed = [...victims].map((p) => p.label).join(', ');
      console.log(
        `      soak: runs ${runsStored.length}, spans ${[...stored.values()].reduce((a, b) => a + b, 0)}, acknowledged over OTLP ${acknowledged.size}, ` +
          `lost ${lost.length}, stuck ${stuck.length}; killed ${killed} (${incompleteRuns} run(s) closed INCOMPLETE${killedRuns.length ? `: ${killedRuns.join('; ')}` : ''})`,
      );
      assert.deepEqual(lost, [], 'every acknowledged span is stored exactly once');
      assert.deepEqual(
        stuck.map((r) => `${r.id} ${r.name}`),
        [],
        'no run is RUNNING after every writer is gone',
      );
    } finally {
      await store.close();
    }
  });
});
