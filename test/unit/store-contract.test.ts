/**
 * What every store does, on both backends (helpers/backends.ts): the workspace store (sql.js)
 * and the team store (a real PostgreSQL). The tests of one backend's own machinery — the
 * workspace store's files, journal, lock and size bound; the team store's partitions,
 * reconnects and concurrent writers — are in their own files.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { processIdentity } from '../../src/core/processes';
import type { RunContext } from '../../src/core/context/types';
import type { StoreChange } from '../../src/core/store/types';
import { BACKENDS } from './helpers/backends';
import { at } from './helpers/fixtures';
import { logRecord, spanFactory } from './helpers/spans';

const T0 = 1_700_000_000_000_000_000n;
const log = logRecord;
const context: RunContext = {
  git: { commit: 'a'.repeat(40), branch: 'main', dirty: true, files: [{ path: 'flow.py', status: 'M', hash: '0123456789abcdef' }] },
  env: { MODEL: 'h:0123456789abcdef' },
  runtimes: { python3: 'Python 3.11.2' },
  origin: { user: 'ana', host: 'ci-runner-7', ci: { provider: 'github', job: '1234' } },
};

for (const backend of BACKENDS) {
  describe(`store contract (${backend.name} store)`, function () {
    this.timeout(60_000);
    const span = spanFactory({ traceId: 'c'.repeat(32), durationNs: 500n });

    it('keeps runs and spans across close and reopen', async () => {
      const a = await backend.open();
      a.apply({
        runs: [{ id: 'r1', name: 'first', source: 'launch', status: 'RUNNING' }],
        spans: [span('r1'), span('r1', { status: 'ERROR', statusMessage: 'boom' })],
      });
      a.endRun('r1', { exitCode: 1 });
      const b = await a.reopen();
      const run = b.getRun('r1')!;
      assert.equal(run.status, 'FAILED');
      assert.equal(run.spanCount, 2);
      assert.equal(run.errorCount, 1);
      assert.equal(at(b.getSpans('r1'), 1).statusMessage, 'boom');
      await b.close();
    });

    it('round-trips a span exactly: attributes, events, resource, scope, kinds of values, untrusted text', async () => {
      const s = await backend.open();
      const exotic = span('r1', {
        attributes: { s: 'x\u0000y', n: 1.5, i: 42, b: true, nul: null, list: [1, 'two', [3]], map: { k: { deep: 'v' } }, emoji: '🚀' },
        events: [{ name: 'exception', timeNs: T0 + 7n, attributes: { 'exception.type': 'ValueError', big: 2 ** 53 } }],
        resource: { 'service.name': 'svc', 'host.name': 'h1' },
        scope: { name: 'lib', version: '1.2' },
        parentSpanId: 'f'.repeat(16),
        kind: 3,
        statusLabel: 'BLOCKED',
      });
      s.apply({ runs: [{ id: 'r1', name: 'x', source: 'launch' }], spans: [exotic] });
      const back = at(s.getSpans('r1'), 0);
      const { s: text, ...rest } = exotic.attributes;
      const { s: textBack, ...restBack } = back.attributes;
      assert.deepEqual(restBack, rest);
      assert.ok(textBack === text || textBack === 'x\u2400y', 'a NUL is kept, or shown as ␀ where the database cannot hold it');
      assert.deepEqual(back.events, exotic.events);
      assert.deepEqual(back.resource, exotic.resource);
      assert.deepEqual(back.scope, exotic.scope);
      assert.deepEqual(
        [back.parentSpanId, back.kind, back.statusLabel, back.startNs, back.endNs],
        [exotic.parentSpanId, 3, 'BLOCKED', exotic.startNs, exotic.endNs],
      );
      assert.deepEqual(s.getSpan('r1', exotic.spanId), back);
      assert.deepEqual(s.spansByKey([{ traceId: exotic.traceId, spanId: exotic.spanId }]), [back]);
      await s.close();
    });

    it('marks a span INCOMPLETE when its run ends first, and the run PARTIAL when the process exited 0', async () => {
      const s = await backend.open();
      s.apply({
        runs: [{ id: 'r1', name: 'hang', source: 'launch', status: 'RUNNING' }],
        spans: [span('r1', { status: 'RUNNING', endNs: undefined })],
      });
      const changes: StoreChange[] = [];
      s.onChange((c) => changes.push(c));
      const run = s.endRun('r1', { exitCode: 0 });
      assert.equal(run.status, 'PARTIAL');
      assert.equal(at(s.getSpans('r1'), 0).status, 'INCOMPLETE');
      assert.ok(
        changes.some((c) => c.type === 'spans' && c.runIds.includes('r1')),
        'views are told the spans changed',
      );
      await s.close();
    });

    it('updates a span sent again (running, then ended) and keeps the counts exact', async () => {
      const s = await backend.open();
      const running = span('r1', { status: 'RUNNING', endNs: undefined });
      s.apply({ runs: [{ id: 'r1', name: 'live', source: 'launch', status: 'RUNNING' }], spans: [running, span('r1')] });
      s.apply({ runs: [], spans: [{ ...running, status: 'ERROR', endNs: running.startNs + 9n, statusMessage: 'late' }] });
      s.apply({ runs: [], spans: [{ ...running, status: 'ERROR', endNs: running.startNs + 9n, statusMessage: 'late' }] });
      const run = s.getRun('r1')!;
      assert.equal(run.spanCount, 2, 'sent three times, stored once');
      assert.equal(run.errorCount, 1);
      assert.equal(s.getSpan('r1', running.spanId)?.statusMessage, 'late');
      assert.equal(s.endRun('r1', { exitCode: 0 }).status, 'PARTIAL', 'no span left running');
      await s.close();
    });

    it("reads a run's span heads without attributes: the fields a view draws, and why a failed span failed", async () => {
      const s = await backend.open();
      const exception = { name: 'exception', timeNs: 1n, attributes: { 'exception.type': 'ValueError', 'exception.message': 'bad batch' } };
      s.apply({
        runs: [{ id: 'r1', name: 'heads', source: 'launch', status: 'RUNNING' }],
        spans: [
          span('r1', { attributes: { big: 'x'.repeat(100) } }),
          span('r1', { status: 'ERROR', events: [exception], statusLabel: 'failed' }),
          span('r1', { status: 'RUNNING', endNs: undefined }),
        ],
      });
      const full = s.getSpans('r1');
      const heads = s.spanHeads('r1');
      assert.deepEqual(
        heads.map((h) => [h.spanId, h.parentSpanId, h.name, h.kind, h.startNs, h.endNs, h.status, h.statusLabel, h.error]),
        full.map((f) => [
          f.spanId,
          f.parentSpanId,
          f.name,
          f.kind,
          f.startNs,
          f.endNs,
          f.status,
          f.statusLabel,
          f.status === 'ERROR' ? 'ValueError: bad batch' : undefined,
        ]),
      );
      assert.equal('attributes' in heads[0]!, false);
      s.apply({ runs: [], spans: [span('r1', { resource: { 'service.name': 'checkout' } })] });
      assert.equal(s.spanHeads('r1').at(-1)!.service, 'checkout', "the service of the span's resource");
      assert.equal(s.spanHeads('r1')[0]!.service, undefined);
      await s.close();
    });

    it('marks a run FAILED when it was killed by a signal, and CANCELLED or INCOMPLETE (with the reason) as told', async () => {
      const s = await backend.open();
      s.apply({ runs: ['k', 'c', 'i'].map((id) => ({ id, name: id, source: 'launch' as const, status: 'RUNNING' as const })), spans: [] });
      assert.equal(s.endRun('k', { signal: 'SIGKILL' }).status, 'FAILED');
      assert.equal(s.endRun('c', { cancelled: true, signal: 'SIGINT' }).status, 'CANCELLED');
      const i = s.endRun('i', { incomplete: 'the recorder went away' });
      assert.equal(i.status, 'INCOMPLETE');
      assert.equal(i.attributes['runlens.incomplete_reason'], 'the recorder went away');
      await s.close();
    });

    it('finds runs by id, unique prefix or "last", newest first, and filters by workflow and status', async () => {
      const s = await backend.open();
      s.apply({
        runs: [
          { id: 'rA1', name: 'a', source: 'launch', startNs: 1n, workflow: 'w1' },
          { id: 'rB1', name: 'b', source: 'launch', startNs: 2n, workflow: 'w2' },
        ],
        spans: [],
      });
      assert.deepEqual(
        s.listRuns().map((r) => r.id),
        ['rB1', 'rA1'],
      );
      assert.equal(s.getRun('last')!.id, 'rB1');
      assert.equal(s.getRun('rA')!.id, 'rA1');
      assert.equal(s.getRun('r'), undefined, 'an ambiguous prefix finds nothing');
      assert.equal(s.getRun('r%'), undefined, 'LIKE wildcards are text');
      assert.deepEqual(
        s.listRuns({ workflow: 'w1' }).map((r) => r.id),
        ['rA1'],
      );
      assert.deepEqual(
        s.listRuns({ limit: 1 }).map((r) => r.id),
        ['rB1'],
      );
      s.endRun('rA1', { exitCode: 0 });
      assert.deepEqual(
        s.listRuns({ status: 'SUCCESS' }).map((r) => r.id),
        ['rA1'],
      );
      await s.close();
    });

    it('truncates attribute values over the limit and records their original length', async () => {
      const s = await backend.open({ maxAttrLength: 100 });
      s.apply({
        runs: [{ id: 'r1', name: 'x', source: 'launch' }],
        spans: [span('r1', { attributes: { stdout: 'y'.repeat(5000), small: 'ok' } })],
      });
      const got = at(s.getSpans('r1'), 0);
      assert.equal((got.attributes.stdout as string).length, 100);
      assert.equal(got.attributes.small, 'ok');
      assert.deepEqual(got.truncated, { stdout: 5000 });
      await s.close();
    });

    it('keeps a span where it is when another run sends the same ids, and says which run holds it', async () => {
      const s = await backend.open();
      const shared = span('r1');
      s.apply({ runs: [{ id: 'r1', name: 'one', source: 'launch' }], spans: [shared] });
      const result = s.apply({ runs: [{ id: 'r2', name: 'two', source: 'import' }], spans: [{ ...shared, runId: 'r2', name: 'moved?' }] });
      assert.deepEqual(result.conflicts, [{ traceId: shared.traceId, spanId: shared.spanId, runId: 'r1' }]);
      assert.equal(s.getSpan('r1', shared.spanId)?.name, shared.name);
      assert.deepEqual(s.getSpans('r2'), []);
      await s.close();
    });

    it('refuses spans beyond a run’s limit as a partial success', async () => {
      const s = await backend.open({ limits: { spansPerRun: 3 } });
      const result = s.apply({ runs: [{ id: 'r1', name: 'x', source: 'launch' }], spans: [1, 2, 3, 4, 5].map(() => span('r1')) });
      assert.equal(result.rejected, 2);
      assert.match(result.rejectMessage ?? '', /3/);
      assert.equal(s.getRun('r1')?.spanCount, 3);
      await s.close();
    });

    it('keeps output lines in order, and a line sent again at its number once', async () => {
      const s = await backend.open();
      s.apply({ runs: [{ id: 'r1', name: 'x', source: 'launch' }], spans: [] });
      s.appendOutput('r1', 'stdout', ['one', 'two']);
      s.appendOutput('r1', 'stderr', ['three']);
      s.appendOutput('r1', 'stdout', ['one', 'two'], 0);
      assert.deepEqual(
        s.getOutput('r1').map((o) => [o.seq, o.stream, o.text]),
        [
          [0, 'stdout', 'one'],
          [1, 'stdout', 'two'],
          [2, 'stderr', 'three'],
        ],
      );
      assert.deepEqual(
        s.getOutput('r1', 2).map((o) => o.text),
        ['three'],
      );
      await s.close();
    });

    it('answers getLogs, logSummary and getMetrics: filtered, summarised, one series per set of attributes', async () => {
      const s = await backend.open();
      s.apply({
        runs: [{ id: 'r', name: 'r', source: 'launch' }],
        spans: [],
        logs: [log('r', 2, { spanId: 'b'.repeat(16), severityNumber: 21 }), log('r', 1, { spanId: 'b'.repeat(16) }), log('r', 3)],
        metrics: [
          { runId: 'r', name: 'mem', kind: 'gauge', timeNs: T0 + 2n, value: 2.5, attributes: {} },
          { runId: 'r', name: 'mem', kind: 'gauge', timeNs: T0 + 1n, value: 1, attributes: {} },
          { runId: 'r', name: 'mem', kind: 'gauge', timeNs: T0, value: 9, attributes: { other: true } },
        ],
      });
      assert.deepEqual(
        s.getLogs('r', { spanId: 'b'.repeat(16) }).map((l) => [l.timeNs, l.body]),
        [
          [T0 + 1n, 'line 1'],
          [T0 + 2n, 'line 2'],
        ],
      );
      assert.deepEqual(
        s.getLogs('r', { minSeverity: 17, limit: 5 }).map((l) => l.body),
        ['line 2'],
      );
      assert.deepEqual(
        s.getLogs('r', { from: T0 + 2n }).map((l) => l.body),
        ['line 2', 'line 3'],
      );
      assert.deepEqual(s.logSummary('r'), { count: 3, errors: 1, bySpan: { ['b'.repeat(16)]: { count: 2, maxSeverity: 21 } } });
      assert.deepEqual(
        s.getMetrics('r').map((m) => [m.attributes, m.points.map((p) => [p.timeNs, p.value])]),
        [
          [{ other: true }, [[T0, 9]]],
          [
            {},
            [
              [T0 + 1n, 1],
              [T0 + 2n, 2.5],
            ],
          ],
        ],
      );
      s.deleteRun('r');
      assert.deepEqual(s.getLogs('r'), []);
      assert.deepEqual(s.getMetrics('r'), []);
      assert.equal(s.getRun('r'), undefined);
      await s.close();
    });

    it('gives records that name no run to their service’s run at that time, else a run of the service’s own', async () => {
      const s = await backend.open();
      const svc = { 'service.name': 'billing' };
      s.apply({ runs: [{ id: 'b1', name: 'billing run', source: 'launch', workflow: 'billing', startNs: T0 }], spans: [] });
      s.apply({ runs: [], spans: [], logs: [log('', 5, { resource: svc })], metrics: [] });
      assert.deepEqual(
        s.getLogs('b1').map((l) => l.body),
        ['line 5'],
      );
      s.apply({ runs: [], spans: [], logs: [log('', 6, { resource: { 'service.name': 'mailer' } })] });
      const own = s.getRun('service:mailer');
      assert.equal(own?.name, 'mailer: logs and metrics');
      assert.equal(own?.workflow, 'mailer');
      assert.equal(s.getLogs('service:mailer').length, 1);
      await s.close();
    });

    it('refuses log records and points beyond a run’s bound, and points without a finite value, as a partial success', async () => {
      const s = await backend.open({ limits: { logsPerRun: 2, pointsPerRun: 1 } });
      s.apply({ runs: [{ id: 'r', name: 'r', source: 'launch' }], spans: [] });
      const first = s.apply({ runs: [], spans: [], logs: [log('r', 1), log('r', 2), log('r', 3)] });
      assert.equal(first.rejected, 1);
      assert.match(first.rejectMessage ?? '', /at most 2 log records/);
      assert.equal(s.apply({ runs: [], spans: [], logs: [log('r', 4)] }).rejected, 1, 'a full run stays full');
      const points = s.apply({
        runs: [],
        spans: [],
        metrics: [
          { runId: 'r', name: 'm', kind: 'gauge', timeNs: T0, value: Number.NaN, attributes: {} },
          { runId: 'r', name: 'm', kind: 'gauge', timeNs: T0 + 1n, value: 1, attributes: {} },
          { runId: 'r', name: 'm', kind: 'gauge', timeNs: T0 + 2n, value: 2, attributes: {} },
        ],
      });
      assert.equal(points.rejected, 2);
      assert.match(points.rejectMessage ?? '', /finite/);
      assert.equal(s.getLogs('r').length, 2);
      assert.deepEqual(
        s.getMetrics('r').flatMap((m) => m.points.map((p) => p.value)),
        [1],
      );
      await s.close();
    });

    it('reads back a big batch of log records whole and in time order', async () => {
      const s = await backend.open();
      const logs = Array.from({ length: 2500 }, (_, i) => log('big', 2499 - i));
      assert.equal(s.apply({ runs: [{ id: 'big', name: 'big', source: 'launch' }], spans: [], logs }).rejected, 0);
      const back = s.getLogs('big', { limit: 3000 });
      assert.equal(back.length, 2500);
      assert.deepEqual(
        back.slice(0, 2).map((l) => l.body),
        ['line 0', 'line 1'],
      );
      assert.equal(s.logSummary('big').count, 2500);
      await s.close();
    });

    it('keeps an attached run that only log records have reached going while they arrive, and settles it when idle', async () => {
      const s = await backend.open();
      const id = `t${'a'.repeat(32)}`;
      s.apply({ runs: [], spans: [], logs: [log(id, 1, { traceId: 'a'.repeat(32) })] });
      const run = s.getRun(id);
      assert.equal(run?.traceId, 'a'.repeat(32), 'created for its trace');
      assert.equal(run?.status, 'RUNNING');
      assert.deepEqual(s.settleIdle(30_000, Date.now() + 1_000), [], 'records arrived a second ago');
      assert.deepEqual(s.settleIdle(30_000, Date.now() + 31_000), [id], 'quiet for longer than the idle time');
      await s.close();
    });

    it('keeps an attached trace RUNNING while a span waits for its parent, and ends it when the root arrives', async () => {
      const s = await backend.open();
      const id = `t${'e'.repeat(32)}`;
      const attached = spanFactory({ traceId: 'e'.repeat(32), durationNs: 100n });
      const root = attached(id);
      const child = attached(id, { parentSpanId: root.spanId });
      s.apply({ runs: [], spans: [child] });
      assert.equal(s.getRun(id)?.status, 'RUNNING', 'its parent has not arrived');
      s.apply({ runs: [], spans: [root] });
      const run = s.getRun(id)!;
      assert.equal(run.status, 'SUCCESS');
      assert.equal(run.endNs, child.endNs, 'its end is the latest of its spans');
      await s.close();
    });

    it('lowers an attached run’s start to its earliest span, so it never ends before it starts', async () => {
      const s = await backend.open();
      s.apply({ runs: [{ id: 'a', source: 'otlp' }], spans: [] }); // created now: start = the clock
      const early = spanFactory({ traceId: 'ab'.repeat(16), durationNs: 1_000_000_000n })('a');
      s.apply({ runs: [], spans: [early] });
      const run = s.getRun('a')!;
      assert.equal(run.startNs, early.startNs);
      assert.equal(run.endNs, early.endNs);
      await s.close();
    });

    it('closes a run INCOMPLETE, with the reason, when the process recording it on this machine is gone', async () => {
      const s = await backend.open();
      const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      const living = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      await Promise.all([once(child, 'spawn'), once(living, 'spawn')]);
      const dead = processIdentity(child.pid!);
      try {
        s.apply({
          runs: [
            { id: 'rdead', name: 'killed', source: 'launch', status: 'RUNNING', owner: dead },
            { id: 'ralive', name: 'going', source: 'launch', status: 'RUNNING', owner: processIdentity(living.pid!) },
            {
              id: 'rreused',
              name: 'pid reused',
              source: 'launch',
              status: 'RUNNING',
              owner: { ...processIdentity(living.pid!), started: '1' },
            },
            { id: 'relsewhere', name: 'another machine', source: 'launch', status: 'RUNNING', owner: { ...dead, host: 'other-host' } },
          ],
          spans: [],
        });
        child.kill('SIGKILL');
        await once(child, 'exit');
        assert.deepEqual(s.closeOrphans().sort(), ['rdead', 'rreused']);
        const gone = s.getRun('rdead')!;
        assert.equal(gone.status, 'INCOMPLETE');
        assert.match(String(gone.attributes['runlens.incomplete_reason']), new RegExp(`pid ${dead.pid}`));
        assert.ok(gone.endNs !== undefined);
        assert.equal(s.getRun('ralive')!.status, 'RUNNING', 'its recorder still runs');
        assert.equal(s.getRun('relsewhere')!.status, 'RUNNING', "another machine's process is that machine's to judge");
      } finally {
        living.kill('SIGKILL');
        await s.close();
      }
    });

    it('digests a run again when it changes after it was digested (a late span, a new status)', async () => {
      const s = await backend.open();
      s.apply({ runs: [{ id: 'r', name: 'r', source: 'import', status: 'SUCCESS' }], spans: [span('r', { name: 'first' })] });
      assert.deepEqual(s.runDigest('r')!.names, ['first']);
      s.apply({
        runs: [],
        spans: [
          span('r', {
            name: 'late',
            status: 'ERROR',
            events: [{ name: 'exception', timeNs: 1n, attributes: { 'exception.message': 'bad' } }],
          }),
        ],
      });
      const d = s.runDigest('r')!;
      assert.deepEqual(d.names.sort(), ['first', 'late']);
      assert.equal(d.failures.length, 1);
      await s.close();
    });

    it("keeps a run's context apart from the run list, and it goes with the run; origins answer who and where", async () => {
      const s = await backend.open();
      s.apply({ runs: [{ id: 'r1', name: 'flow', status: 'RUNNING', source: 'launch', startNs: T0, attributes: {}, context }], spans: [] });
      s.apply({ runs: [{ id: 'r2', name: 'flow', status: 'RUNNING', source: 'launch', startNs: T0, attributes: {} }], spans: [] });
      assert.deepEqual(s.runContext('r1'), context);
      assert.equal((s.listRuns()[0] as { context?: unknown }).context, undefined, 'listing runs does not read contexts');
      assert.deepEqual([...s.runOrigins()], [['r1', { user: 'ana', host: 'ci-runner-7', ci: 'github 1234' }]]);
      s.deleteRun('r1');
      assert.equal(s.runContext('r1'), undefined);
      assert.deepEqual([...s.runOrigins()], []);
      await s.close();
    });

    it('drops a context that does not fit its bounds, and reads a damaged or forged one as absent', async () => {
      const s = await backend.open();
      const huge = { ...context, env: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`V${i}`, 'h:0123456789abcdef'])) };
      s.apply({
        runs: [{ id: 'r1', name: 'flow', status: 'RUNNING', source: 'launch', startNs: T0, attributes: {}, context: huge }],
        spans: [],
      });
      assert.equal(s.runContext('r1'), undefined);
      assert.equal(s.getRun('r1')?.name, 'flow', 'the run itself is kept');
      backend.forgeContext(s, 'r1', '{"git": {"dirty": "yes"}}');
      assert.equal(s.runContext('r1'), undefined);
      backend.forgeContext(s, 'r1', 'not json');
      assert.equal(s.runContext('r1'), undefined);
      await s.close();
    });

    it('finds runs by a step name, digests a finished run, and clears everything', async () => {
      const s = await backend.open();
      s.apply({ runs: [{ id: 'r1', name: 'x', source: 'launch' }], spans: [span('r1', { name: 'Fetch_Invoices' })] });
      s.apply({ runs: [{ id: 'r2', name: 'y', source: 'launch' }], spans: [span('r2', { name: 'other' })] });
      assert.deepEqual([...s.runsWithSpanMatching('fetch_inv')], ['r1']);
      s.endRun('r1', { exitCode: 0 });
      const digest = s.runDigest('r1');
      assert.equal(digest?.spanCount, 1);
      assert.ok(digest?.names.includes('Fetch_Invoices'));
      const seen: string[] = [];
      s.onChange((c) => seen.push(c.type));
      s.clear();
      assert.deepEqual(s.listRuns(), []);
      assert.ok(seen.includes('cleared'));
      assert.ok(s.sizeBytes() > 0);
      await s.close();
    });
  });
}
