/**
 * Issue 11, items 2-5: what a client sends can neither forge the store's own encoding, nor
 * make it unopenable, nor decide what retention deletes, nor grow without bound.
 */
import { strict as assert } from 'node:assert';
import { BACKENDS, type Backend } from './helpers/backends';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TraceStore } from '../../src/core/store/store';
import { Collector } from '../../src/core/collector';
import { decode, encode } from '../../src/core/store/codec';
import { DEFAULT_LIMITS } from '../../src/core/limits';
import { asAttributes, parseTime } from '../../src/core/ingest/values';
import { postJson, request } from './helpers/http';
import { tempDir, at } from './helpers/fixtures';
import { spanFactory } from './helpers/spans';

const makeSpan = (over: { runId: string } & Record<string, unknown>) =>
  spanFactory({ traceId: 'ab'.repeat(16), durationNs: 1000n })(over.runId, over);

/** The files a writer killed right now would leave: the database file and its journal, copied elsewhere. */
function crashCopy(file: string): string {
  const dir = tempDir();
  for (const suffix of ['', '.journal'])
    if (fs.existsSync(file + suffix)) fs.copyFileSync(file + suffix, path.join(dir, 'traces.db' + suffix));
  return path.join(dir, 'traces.db');
}

const otlpSpan = (over: Record<string, unknown> = {}) => ({
  traceId: '5b8efff798038103d269b633813fc60c',
  spanId: 'eee19b7ec3c1b174',
  name: 'step',
  kind: 1,
  startTimeUnixNano: '1700000000000000000',
  endTimeUnixNano: '1700000001000000000',
  ...over,
});
const otlpBody = (spans: unknown[], resource: unknown[] = []) => ({
  resourceSpans: [{ resource: { attributes: resource }, scopeSpans: [{ spans }] }],
});

describe('untrusted data and the store', () => {
  describe('the journal encoding', () => {
    it('round-trips values whose keys look like its own bigint tag', () => {
      const value = { a: { '\u0000n': '12' }, b: { '\u0000\u0000n': 'x' }, t: 5n, nested: [{ '\u0000n': 'not a number' }] };
      const back = decode<typeof value>(encode(value));
      assert.deepEqual(back, value);
      assert.equal(typeof back.t, 'bigint');
      assert.equal(typeof back.a, 'object');
    });

    it('refuses a tag that does not hold a 64-bit integer', () => {
      assert.throws(() => decode('{"\\u0000n":"1e400"}'));
      assert.throws(() => decode(`{"\\u0000n":"${'9'.repeat(400)}"}`));
    });
  });

  it('reopens after a crash when an acknowledged span carried the bigint tag as an attribute key', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'traces.db');
    const store = await TraceStore.open({ path: file, snapshotIdleMs: 0 });
    const span = makeSpan({ runId: 'r1', attributes: { '\u0000n': '123', evil: { '\u0000n': '7' } } });
    span.events = [{ name: 'e', timeNs: 5n, attributes: { '\u0000n': 'x' } }];
    store.apply({ runs: [{ id: 'r1', name: 'r1', source: 'launch', status: 'RUNNING' }], spans: [span] });
    // Crash: the process dies without close(); only the journal holds the span.
    const crashed = crashCopy(file);
    await store.close();
    const reopened = await TraceStore.open({ path: crashed });
    const [back] = reopened.getSpans('r1');
    assert.ok(back !== undefined);
    assert.deepEqual(back.attributes, { '\u0000n': '123', evil: { '\u0000n': '7' } });
    assert.deepEqual(at(back.events, 0).attributes, { '\u0000n': 'x' });
    await reopened.close();
    const again = await TraceStore.open({ path: crashed });
    assert.deepEqual(at(again.getSpans('r1'), 0).attributes, back.attributes, 'and after the snapshot too');
    await again.close();
  });

  it('loses only the bad line of a damaged journal, counts it and keeps every line after it', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'traces.db');
    const store = await TraceStore.open({ path: file, snapshotIdleMs: 0 });
    for (let i = 1; i <= 3; i++)
      store.apply({
        runs: [{ id: `r${i}`, name: `run ${i}`, source: 'launch', status: 'RUNNING' }],
        spans: [makeSpan({ runId: `r${i}`, spanId: `00000000000000a${i}` })],
      });
    const crashed = crashCopy(file);
    await store.close();
    const journal = `${crashed}.journal`;
    const lines = fs.readFileSync(journal, 'utf8').split('\n');
    lines[1] = at(lines, 1).slice(0, 40) + '#garbage#' + at(lines, 1).slice(60); // the second record
    fs.writeFileSync(journal, lines.join('\n'));
    const logged: string[] = [];
    const reopened = await TraceStore.open({ path: crashed, log: (m) => logged.push(m) });
    assert.deepEqual(
      reopened
        .listRuns()
        .map((r) => r.id)
        .sort(),
      ['r1', 'r3'],
    );
    assert.equal(reopened.getSpans('r3').length, 1, 'the record after the bad one is kept');
    assert.match(reopened.warnings.join('\n'), /1 journal record.*unreadable/);
    assert.ok(
      fs.readdirSync(path.dirname(crashed)).some((f) => f.includes('journal.corrupt')),
      'the damaged journal is kept aside for inspection',
    );
    assert.match(logged.join('\n'), /unreadable/, 'and the recovery is reported');
    await reopened.close();
  });

  it('keeps a store openable when a journal record is well-formed JSON but cannot be applied', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'traces.db');
    const store = await TraceStore.open({ path: file, snapshotIdleMs: 0 });
    store.apply({ runs: [{ id: 'r1', name: 'one', source: 'launch', status: 'RUNNING' }], spans: [] });
    const crashed = crashCopy(file);
    await store.close();
    fs.appendFileSync(
      `${crashed}.journal`,
      '{"seq":2,"op":"apply","runs":[{"id":"r2"}],"resources":[],"rows":[[1,2,3]]}\n{"seq":3,"op":"nonsense"}\n',
    );
    fs.appendFileSync(
      `${crashed}.journal`,
      encode({ seq: 4, op: 'apply', runs: [{ id: 'r4', name: 'four', source: 'import', status: 'SUCCESS' }], resources: [], rows: [] }) +
        '\n',
    );
    const reopened = await TraceStore.open({ path: crashed });
    assert.deepEqual(
      reopened
        .listRuns()
        .map((r) => r.id)
        .sort(),
      ['r1', 'r4'],
    );
    assert.match(reopened.warnings.join('\n'), /2 journal records/);
    await reopened.close();
  });

  describe('over the collector: retention', () => {
    let store: TraceStore;
    let collector: Collector;
    beforeEach(async () => {
      store = await TraceStore.open({ maxRuns: 5 });
      collector = await Collector.start(store, { port: 0 });
    });
    afterEach(async () => {
      await collector.close();
      await store.close();
    });

    it('orders retention by when this store received runs, not by the times a client claims', async () => {
      // Ten finished runs dated far in the future ("newer" than anything real) arrive first…
      for (let i = 0; i < 10; i++) {
        const future = (9_000_000_000_000_000_000n + BigInt(i)).toString();
        await postJson(
          `${collector.endpoint}/v1/traces`,
          otlpBody([
            otlpSpan({
              traceId: `${i}`.padStart(32, 'f'),
              spanId: `${i}`.padStart(16, 'c'),
              startTimeUnixNano: future,
              endTimeUnixNano: future,
            }),
          ]),
        );
      }
      // …then three real ones.
      for (let i = 0; i < 3; i++) {
        await postJson(
          `${collector.endpoint}/v1/traces`,
          otlpBody([otlpSpan({ traceId: `${i}`.padStart(32, 'a'), spanId: `${i}`.padStart(16, 'b') })]),
        );
      }
      const kept = store
        .listRuns()
        .map((r) => r.id)
        .sort();
      const expected = [
        ...[8, 9].map((i) => `t${`${i}`.padStart(32, 'f')}`),
        ...[0, 1, 2].map((i) => `t${`${i}`.padStart(32, 'a')}`),
      ].sort();
      assert.deepEqual(kept, expected, 'the five received last are kept, whatever times they claim');
    });
  });

  // What the collector refuses or bounds never reaches either store: the same over both.
  for (const backend of BACKENDS) {
    describe(`over the collector (${backend.name} store)`, function () {
      this.timeout(60_000);
      let store: Awaited<ReturnType<Backend['open']>>;
      let collector: Collector;
      beforeEach(async () => {
        store = await backend.open();
        collector = await Collector.start(store, { port: 0 });
      });
      afterEach(async () => {
        await collector.close();
        await store.close();
      });

      it('rejects times that do not fit unsigned 64-bit nanoseconds and still lists every run', async () => {
        const huge = '9'.repeat(400);
        const reply = await postJson(`${collector.endpoint}/v1/traces`, otlpBody([otlpSpan({ startTimeUnixNano: huge })]));
        assert.equal(reply.status, 400);
        assert.match(reply.body.toString(), /startTimeUnixNano/);
        const tooBig = await postJson(`${collector.endpoint}/v1/traces`, otlpBody([otlpSpan({ endTimeUnixNano: '18446744073709551616' })]));
        assert.equal(tooBig.status, 400);
        const inf = await postJson(`${collector.endpoint}/v1/traces`, otlpBody([otlpSpan({ startTimeUnixNano: 1e300 })]));
        assert.equal(inf.status, 400);
        assert.equal(store.listRuns().length, 0, 'nothing from a rejected request is stored');
        await postJson(`${collector.endpoint}/v1/traces`, otlpBody([otlpSpan()]));
        assert.equal(store.listRuns().length, 1);
      });

      it('bounds names, keys, messages, event names and counts, and says what it cut', async () => {
        const big = 'x'.repeat(200_000);
        const attributes = Array.from({ length: 1000 }, (_, i) => ({ key: `k${i}${i === 0 ? big : ''}`, value: { stringValue: 'v' } }));
        const events = Array.from({ length: 1000 }, (_, i) => ({ name: i === 0 ? big : `e${i}`, timeUnixNano: '1700000000500000000' }));
        const reply = await postJson(
          `${collector.endpoint}/v1/traces`,
          otlpBody([otlpSpan({ name: big, attributes, events, status: { code: 2, message: big } })]),
        );
        assert.equal(reply.status, 200);
        const [span] = store.getSpans(at(store.listRuns(), 0).id);
        assert.ok(span !== undefined);
        assert.ok(span.name.length <= DEFAULT_LIMITS.nameLength);
        assert.ok((span.statusMessage ?? '').length <= DEFAULT_LIMITS.messageLength);
        assert.ok(Object.keys(span.attributes).length <= DEFAULT_LIMITS.attributesPerSpan);
        for (const k of Object.keys(span.attributes)) assert.ok(k.length <= DEFAULT_LIMITS.keyLength);
        assert.ok(span.events.length <= DEFAULT_LIMITS.eventsPerSpan);
        assert.ok(at(span.events, 0).name.length <= DEFAULT_LIMITS.nameLength);
        assert.ok(span.truncated && Object.keys(span.truncated).length > 0, 'what was cut is recorded');
        assert.ok(
          at(store.listRuns(), 0).name.length <= DEFAULT_LIMITS.nameLength + 64,
          'the run name built from the span name is bounded too',
        );
      });

      it('answers 400, not 500, to attribute values nested too deep', async () => {
        const deep = '{"arrayValue":{"values":['.repeat(10_000) + '{"stringValue":"leaf"}' + ']}}'.repeat(10_000);
        const body = JSON.stringify(otlpBody([otlpSpan({ attributes: [{ key: 'deep', value: 'DEEP' }] })])).replace('"DEEP"', deep);
        const reply = await request(`${collector.endpoint}/v1/traces`, { headers: { 'content-type': 'application/json' }, body });
        assert.equal(reply.status, 400);
        assert.match(reply.body.toString(), /deep|nest/i);
        assert.equal(store.listRuns().length, 0);
      });
    });
  }
});

describe('times and values from JSON lines and imported documents', () => {
  it('takes a time the store cannot keep as no time, never as Infinity or a wrapped number', () => {
    assert.equal(parseTime('99999999999999999999'), undefined, '20 digits past 2^63');
    assert.equal(parseTime(1e300), undefined);
    assert.equal(parseTime(-5), undefined);
    assert.equal(parseTime('1700000000000000000'), 1_700_000_000_000_000_000n);
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const attrs = asAttributes({ deep });
    assert.ok(JSON.stringify(attrs).includes('nested too deep'), 'a deep value is cut, not followed into a stack overflow');
  });
});
