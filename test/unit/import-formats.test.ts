/** Zipkin v2 JSON and Chrome / Perfetto trace event JSON imports (issue 16 item 4): what is stored, and hostile files. */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { formatImportReport } from '../../src/core/ingest/importPlan';
import { FIXTURES, at, tempDir } from './helpers/fixtures';
import { closeStores, importPaths, openStore, reachable, write } from './helpers/importIntegrity';

const FIX = path.join(FIXTURES, 'import');

describe('import: Zipkin v2 JSON', () => {
  afterEach(closeStores);

  it('stores one run per trace: names, nesting, times to the ns, kinds, error tags as ERROR, tags, endpoints and annotations', async () => {
    const store = await openStore(tempDir());
    const r = importPaths(store, path.join(FIX, 'zipkin.json'));
    assert.equal(at(r.files, 0).format, 'zipkin-json');
    assert.match(at(formatImportReport(r), 0), /^zipkin\.json: Zipkin v2 JSON, 2 runs, 4 spans/);
    const checkout = store.getRun('z8e3b2d9c0a1f4e6d')!;
    assert.equal(checkout.name, 'frontend: get /checkout');
    assert.equal(checkout.status, 'FAILED');
    assert.equal(checkout.startNs, 1731000000000000000n);
    assert.equal(checkout.endNs, 1731000000180000000n);
    const spans = store.getSpans(checkout.id);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const root = byId.get('6b221d5bc9e6496c')!;
    const client = byId.get('7c3a9e01d2b84f15')!;
    const server = byId.get('8d4bf1a2e3c95a26')!;
    assert.equal(root.parentSpanId, undefined);
    assert.equal(client.parentSpanId, root.spanId);
    assert.equal(server.parentSpanId, client.spanId);
    assert.deepEqual([root.kind, client.kind, server.kind], [2, 3, 2]);
    assert.equal(server.startNs, 1731000000021250000n);
    assert.equal(server.endNs, 1731000000168750000n);
    assert.equal(root.status, 'OK', 'an http.status_code tag alone is not an error in Zipkin');
    assert.equal(client.status, 'ERROR');
    assert.equal(client.statusMessage, 'card declined: insufficient funds');
    assert.equal(server.status, 'ERROR');
    assert.equal(server.statusMessage, undefined, 'error "true" says no more than ERROR');
    assert.equal(client.attributes['peer.service'], 'payments');
    assert.equal(client.attributes['net.peer.port'], 9000);
    assert.equal(root.attributes['http.path'], '/checkout');
    assert.equal(server.attributes['zipkin.shared'], true);
    assert.equal(server.resource?.['service.name'], 'payments');
    assert.deepEqual(
      server.events.map((e) => [e.name, e.timeNs]),
      [
        ['charge.attempt', 1731000000030000000n],
        ['charge.declined', 1731000000160000000n],
      ],
    );
    const ledger = store.getRun('ze457b5a2e4d86bd1')!;
    assert.equal(ledger.name, 'ledger: nightly-reconcile');
    assert.equal(at(store.getSpans(ledger.id), 0).traceId, '0000000000000000e457b5a2e4d86bd1', 'a 64-bit trace id, left-padded');
  });

  it('recognises the same file imported again (nothing written) and reads a list of traces ([[span…]…]) as well', async () => {
    const dir = tempDir();
    const store = await openStore(dir);
    importPaths(store, path.join(FIX, 'zipkin.json'));
    const again = importPaths(store, path.join(FIX, 'zipkin.json'));
    assert.deepEqual(
      at(again.files, 0).runs.map((x) => x.action),
      ['already-stored', 'already-stored'],
    );
    const span = (id: string, traceId: string) => ({ traceId, id, name: id, timestamp: 1731000000000000, duration: 1000 });
    const nested = write(dir, 'traces.json', [
      [span('0000000000000001', 'aaaa000000000001')],
      [span('0000000000000002', 'bbbb000000000002')],
    ]);
    const r = importPaths(store, nested);
    assert.equal(at(r.files, 0).format, 'zipkin-json');
    assert.equal(at(r.files, 0).runs.length, 2);
  });

  it('never crashes on a hostile file: cycles broken, impossible times repaired or counted, negative durations repaired, deep chains kept', async () => {
    const dir = tempDir();
    const store = await openStore(dir);
    const T = 'c0ffee00c0ffee00c0ffee00c0ffee00';
    const chain = Array.from({ length: 3000 }, (_, i) => ({
      traceId: T,
      id: (i + 1).toString(16).padStart(16, '0'),
      ...(i ? { parentId: i.toString(16).padStart(16, '0') } : {}),
      name: `level-${i}`,
      timestamp: 1731000000000000 + i,
      duration: 3000 - i,
    }));
    const hostile = [
      ...chain,
      { traceId: T, id: 'aaaaaaaaaaaaaaa1', parentId: 'aaaaaaaaaaaaaaa2', name: 'a', timestamp: 1731000000000010, duration: 5 },
      { traceId: T, id: 'aaaaaaaaaaaaaaa2', parentId: 'aaaaaaaaaaaaaaa1', name: 'b', timestamp: 1731000000000020, duration: 5 },
      { traceId: T, id: 'bbbbbbbbbbbbbbb1', name: 'huge', timestamp: 1e300, duration: 1e300 },
      { traceId: T, id: 'bbbbbbbbbbbbbbb2', name: 'backwards', timestamp: 1731000000000500, duration: -200 },
      { traceId: T, id: 'bbbbbbbbbbbbbbb3', name: 'no duration', timestamp: 1731000000000600 },
      { traceId: T, name: 'no id' },
      { traceId: 'not-hex', id: 'cccccccccccccccc' },
      'not a span',
      { traceId: T, id: 'dddddddddddddddd', tags: { __proto__: { polluted: true }, nested: { deep: [1, [2, [3]]] }, abyss: 'ABYSS' } },
    ];
    const abyss = '['.repeat(100_000) + ']'.repeat(100_000);
    const r = importPaths(store, write(dir, 'hostile.zipkin.json', JSON.stringify(hostile).replace('"ABYSS"', abyss)));
    const f = at(r.files, 0);
    assert.equal(f.error, undefined);
    assert.equal(f.cyclesBroken.length, 1);
    assert.equal(f.endsRepaired, 1);
    assert.equal(f.neverEnded, 3, 'no duration, one that is not a time, and none at all: never ended as far as the file says');
    assert.deepEqual(f.dropped, [{ count: 3, reason: 'not a Zipkin span with a valid traceId and id' }]);
    assert.ok(f.partial);
    const spans = store.getSpans(at(r.runIds, 0));
    assert.equal(spans.length, 3006);
    assert.equal(reachable(spans), 3006, 'every span reachable from a root');
    const byName = new Map(spans.map((s) => [s.name, s]));
    assert.equal(byName.get('level-2999')!.parentSpanId, (2999).toString(16).padStart(16, '0'));
    const huge = byName.get('huge')!;
    assert.equal(huge.startNs, 1731000000000000000n, "an impossible start is repaired from the trace's first start");
    assert.equal(byName.get('backwards')!.endNs, byName.get('backwards')!.startNs);
    assert.equal(byName.get('no duration')!.status, 'INCOMPLETE');
    assert.equal(huge.status, 'INCOMPLETE');
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype was touched');
    const tagged = byName.get('')!.attributes;
    assert.deepEqual(tagged.nested, { deep: [1, [2, [3]]] }, 'a tag that is not a string is kept as the value it is');
    assert.match(JSON.stringify(tagged.abyss), /nested too deep/, 'a value nested 100,000 deep is cut at the depth limit');
  });

  it('says what was expected when a file is almost Zipkin', async () => {
    const dir = tempDir();
    const store = await openStore(dir);
    const r = importPaths(
      store,
      write(dir, 'almost.json', [{ traceId: 'xyz', id: 'not hex' }]),
      write(dir, 'array.json', [{ hello: 'world' }]),
    );
    assert.match(
      at(r.files, 0).error!,
      /looks like Zipkin v2 JSON .* no span with a valid traceId \(16 or 32 hex digits\) and id \(16 hex digits\)/,
    );
    assert.match(
      at(r.files, 1).error!,
      /a JSON array, but neither Zipkin v2 spans \(objects with traceId and id\) nor Chrome trace events/,
    );
    assert.equal(store.listRuns().length, 0);
  });
});

describe('import: Chrome / Perfetto trace event JSON', () => {
  afterEach(closeStores);

  it('stores one run: a span per thread at the top, complete and begin/end events nested by time, instants as events', async () => {
    const store = await openStore(tempDir());
    const r = importPaths(store, path.join(FIX, 'chrome-trace.json'));
    const f = at(r.files, 0);
    assert.equal(f.format, 'chrome-trace');
    assert.equal(f.runs.length, 1);
    const run = store.getRun(at(r.runIds, 0))!;
    assert.equal(run.name, 'build-server', 'the one process');
    const spans = store.getSpans(run.id);
    const byName = new Map(spans.map((s) => [s.name, s]));
    const main = byName.get('CrRendererMain')!;
    const worker = byName.get('ThreadPoolForegroundWorker')!;
    const parentName = (n: string) => spans.find((s) => s.spanId === byName.get(n)!.parentSpanId)?.name;
    assert.equal(main.parentSpanId, undefined);
    assert.equal(worker.parentSpanId, undefined);
    assert.equal(parentName('compile'), 'CrRendererMain');
    assert.equal(parentName('parse'), 'compile');
    assert.equal(parentName('emit'), 'compile', 'a begin/end pair inside a complete event nests under it');
    assert.equal(parentName('write'), 'emit');
    assert.equal(parentName('gzip'), 'ThreadPoolForegroundWorker');
    const compile = byName.get('compile')!;
    assert.equal(compile.startNs, 193847561000500n, 'fractional microseconds kept to the ns');
    assert.equal(compile.endNs, 193847563500750n);
    assert.equal(main.startNs, compile.startNs);
    assert.equal(main.endNs, compile.endNs);
    assert.equal(compile.attributes['args.target'], 'app.js');
    assert.equal(compile.attributes['chrome.category'], 'build');
    const write_ = byName.get('write')!;
    assert.equal(write_.endNs, 193847562600000n);
    assert.equal(write_.attributes['args.bytes'], 18240, "the end event's args are the span's too");
    assert.deepEqual(
      write_.events.map((e) => [e.name, e.timeNs, e.attributes['args.key']]),
      [['cache miss', 193847562150125n, 'app.js']],
    );
    assert.equal(byName.get('watch')!.status, 'INCOMPLETE', 'a begin never ended');
    assert.equal(main.resource?.['service.name'], 'build-server');
    assert.equal(main.attributes['thread.id'], 1);
    assert.equal(spans.length, 8);
    assert.deepEqual(f.notices, [
      '1 trace event of other phases ("C" ×1) not imported: counters, async, flow and object events are not spans',
    ]);
    assert.equal(f.partial, false, 'counters are not spans: said, and the import is whole');
    const again = importPaths(store, path.join(FIX, 'chrome-trace.json'));
    assert.equal(at(at(again.files, 0).runs, 0).action, 'already-stored', 'ids come from the content: the same file is recognised');
  });

  it('reads a bare array of events, also one whose closing ] is missing (a trace written as it ran)', async () => {
    const dir = tempDir();
    const store = await openStore(dir);
    const events = [
      { name: 'outer', ph: 'B', ts: 10, pid: 1, tid: 1 },
      { name: 'inner', ph: 'X', ts: 12, dur: 3, pid: 1, tid: 1 },
      { name: 'outer', ph: 'E', ts: 20, pid: 1, tid: 1 },
    ];
    const text = '[\n' + events.map((e) => JSON.stringify(e)).join(',\n') + ',\n';
    const r = importPaths(store, write(dir, 'cut.json', text), write(dir, 'bare.json', events));
    assert.deepEqual(
      r.files.map((x) => [x.format, x.error, x.spansRead]),
      [
        ['chrome-trace', undefined, 3],
        ['chrome-trace', undefined, 3],
      ],
    );
    const spans = store.getSpans(at(r.runIds, 0));
    assert.equal(spans.find((s) => s.name === 'outer')!.endNs, 20000n);
  });

  it('never crashes on a hostile file: impossible times counted, negative durations repaired, unmatched ends said, deep nesting kept', async () => {
    const dir = tempDir();
    const store = await openStore(dir);
    const depth = 5000;
    const events: unknown[] = [];
    for (let i = 0; i < depth; i++) events.push({ name: `b${i}`, ph: 'B', ts: 1000 + i, pid: 1, tid: 1 });
    for (let i = depth - 1; i >= 0; i--) events.push({ ph: 'E', ts: 100000 - i, pid: 1, tid: 1 });
    events.push(
      { name: 'huge', ph: 'X', ts: 1e300, dur: 1, pid: 1, tid: 1 },
      { name: 'no ts', ph: 'X', dur: 1, pid: 1, tid: 1 },
      { name: 'backwards', ph: 'X', ts: 200000, dur: -50, pid: 1, tid: 2 },
      { ph: 'E', ts: 300000, pid: 9, tid: 9 },
      {
        name: 'proto',
        ph: 'X',
        ts: 200100,
        dur: 1,
        pid: 1,
        tid: 2,
        args: JSON.parse('{"__proto__": {"polluted": true}, "deep": "ABYSS"}'),
      },
      42,
    );
    const abyss = '['.repeat(100_000) + ']'.repeat(100_000);
    const r = importPaths(store, write(dir, 'hostile.json', JSON.stringify({ traceEvents: events }).replace('"ABYSS"', abyss)));
    const f = at(r.files, 0);
    assert.equal(f.error, undefined);
    assert.deepEqual(f.dropped, [{ count: 2, reason: 'no ts (a time in microseconds) Runlens can keep' }]);
    assert.equal(f.endsRepaired, 1);
    assert.ok(f.diagnostics.includes('1 end event (E) without a begin (B) on their thread'));
    assert.ok(f.diagnostics.some((d) => /1 item of the event list that are not trace events/.test(d)));
    const spans = store.getSpans(at(r.runIds, 0));
    assert.equal(spans.length, depth + 2 + 2, 'the B/E chain, two threads, backwards and proto');
    assert.equal(reachable(spans), spans.length);
    const deepest = spans.find((s) => s.name === `b${depth - 1}`)!;
    assert.equal(spans.find((s) => s.spanId === deepest.parentSpanId)!.name, `b${depth - 2}`);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype was touched');
    assert.match(JSON.stringify(spans.find((s) => s.name === 'proto')!.attributes['args.deep']), /nested too deep/);
  });

  it('says what was expected when a file is almost a Chrome trace', async () => {
    const dir = tempDir();
    const store = await openStore(dir);
    const r = importPaths(
      store,
      write(dir, 'not-array.json', { traceEvents: { ph: 'X' } }),
      write(dir, 'counters-only.json', { traceEvents: [{ name: 'heap', ph: 'C', ts: 1, pid: 1, tid: 1 }] }),
    );
    assert.match(at(r.files, 0).error!, /Chrome trace event JSON, but its traceEvents is not an array of events/);
    assert.match(
      at(r.files, 1).error!,
      /Chrome trace event JSON with no complete \(X\), begin\/end \(B\/E\) or instant \(i\) event that has a ts/,
    );
    assert.equal(store.listRuns().length, 0);
  });
});
