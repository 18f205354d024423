import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

/** Wait for a condition (never for a time): the batch window closes when it closes. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(5);
}
import type { Run, Span } from '../../src/core/model';
import { TraceStore } from '../../src/core/store/store';
import { makeNonce, timelineHtml } from '../../src/extension/timeline/html';
import { CHUNK_ROWS, displayOrder, FIRST_ROWS, TimelineSession, type SessionDeps } from '../../src/extension/timeline/session';
import { toRunView, toSpanView, type SourceLike } from '../../src/extension/timeline/views';
import { decodeSpans, parseHostMessage, spanIdsOf, type HostMessage } from '../../src/shared/protocol';
import { syntheticRun } from '../fixtures/timeline/synthetic';
import { loadFixture } from '../fixtures/timeline/load';

const patch = ({ spanCount: _c, errorCount: _e, ...rest }: Run) => rest;

function source(span: Span): SourceLike | undefined {
  const file = span.attributes['code.filepath'];
  const line = span.attributes['code.lineno'];
  return typeof file === 'string' && typeof line === 'number' ? { file, line } : undefined;
}

interface Harness {
  store: TraceStore;
  posted: HostMessage[];
  opened: SourceLike[];
  infos: string[];
  warnings: string[];
  copied: string[];
  titles: string[];
  picks: { runs: Run[]; answer: string | undefined }[];
  deps: SessionDeps;
  of<T extends HostMessage['type']>(type: T): Extract<HostMessage, { type: T }>[];
}

async function harness(pickAnswer?: string): Promise<Harness> {
  const store = await TraceStore.open();
  for (const name of ['agent-ok', 'agent-failed']) {
    const fx = loadFixture(name);
    store.apply({ runs: [patch(fx.run)], spans: fx.spans });
  }
  const h: Harness = {
    store,
    posted: [],
    opened: [],
    infos: [],
    warnings: [],
    copied: [],
    titles: [],
    picks: [],
    deps: undefined as unknown as SessionDeps,
    of: (type) => h.posted.filter((m) => m.type === type) as never,
  };
  h.deps = {
    store,
    resolveSource: source,
    openSource: (loc) => h.opened.push(loc),
    log: { info: () => undefined, warn: (m) => h.warnings.push(m), error: (m) => h.warnings.push(m) },
    batchMs: 20,
    ui: {
      post: (m) => {
        // Everything the host sends must pass the webview's own validation, after a
        // structured clone (typed arrays arrive as typed arrays, as VS Code delivers them).
        const parsed = parseHostMessage(structuredClone(m));
        assert.ok(parsed.ok, `host sent an invalid message: ${parsed.ok ? '' : parsed.error}`);
        h.posted.push(m);
      },
      pickRun: async (runs) => {
        h.picks.push({ runs, answer: pickAnswer });
        return pickAnswer;
      },
      copy: async (t) => void h.copied.push(t),
      info: (m) => h.infos.push(m),
      setTitle: (t) => h.titles.push(t),
    },
  };
  return h;
}

describe('timeline session (host side)', () => {
  let h: Harness;
  let session: TimelineSession | undefined;
  afterEach(async () => {
    session?.dispose();
    session = undefined;
    await h.store.close();
  });

  it('waits for ready, then sends the run with its spans, then the runs to compare with, and the title', async () => {
    h = await harness();
    session = new TimelineSession(h.deps, 'r-fail-42');
    assert.equal(h.posted.length, 0);
    await session.receive({ type: 'ready' });
    const [init] = h.of('init');
    assert.ok(init);
    assert.equal(init.run.name, 'nightly-eval #42');
    const spans = decodeSpans(init.spans);
    assert.equal(spans.length, 11);
    const batch = spans.find((s) => s.status === 'ERROR' && s.name === 'batch')!;
    assert.equal(batch.error, 'ValueError: duplicate test ids: t1');
    // Attributes, events and source travel on request only.
    assert.equal('attributes' in init.spans, false);
    await session.receive({ type: 'getSpanDetail', spanId: batch.id });
    const detail = h.of('spanDetail').at(-1)!;
    assert.equal(detail.runId, 'r-fail-42');
    assert.equal(detail.spanId, batch.id);
    assert.deepEqual(detail.detail?.source, { file: '/work/examples/eval/pipeline.py', line: 88 });
    assert.ok(detail.detail?.events.some((e) => e.name === 'exception'));
    assert.equal(init.pending, 0);
    await until(() => h.of('candidates').length > 0);
    assert.deepEqual(
      h.of('candidates')[0]!.runs.map((c) => c.id),
      ['r-ok-41'],
    );
    assert.equal(h.titles.at(-1), 'Timeline: nightly-eval #42');
  });

  it('reads only span heads to open a timeline (no attributes or events), and one full span for a detail', async () => {
    h = await harness();
    const calls: string[] = [];
    const store = h.store;
    h.deps.store = {
      getRun: (id) => store.getRun(id),
      listRuns: (o) => store.listRuns(o),
      onChange: (l) => store.onChange(l),
      spanHeads: (id) => (calls.push(`spanHeads ${id}`), store.spanHeads(id)),
      getSpan: (id, spanId) => (calls.push(`getSpan ${id}`), store.getSpan(id, spanId)),
      getSpans: (id) => (calls.push(`getSpans ${id}`), store.getSpans(id)),
    };
    session = new TimelineSession(h.deps, 'r-fail-42');
    await session.receive({ type: 'ready' });
    await until(() => h.of('candidates').length > 0);
    assert.deepEqual(calls, ['spanHeads r-fail-42']);
    const batch = decodeSpans(h.of('init')[0]!.spans).find((s) => s.status === 'ERROR' && s.name === 'batch')!;
    assert.equal(batch.error, 'ValueError: duplicate test ids: t1', 'the error line comes with the heads');
    await session.receive({ type: 'getSpanDetail', spanId: batch.id });
    assert.deepEqual(calls, ['spanHeads r-fail-42', 'getSpan r-fail-42']);
    // Full spans are read for a comparison only, when one is asked for.
    await session.receive({ type: 'pickCompareRun', runId: 'r-ok-41' });
    assert.deepEqual(calls.slice(2).sort(), ['getSpans r-fail-42', 'getSpans r-ok-41']);
  });

  it('sends the first screenful of rows in display order first, then the rest in chunks, then live updates', async () => {
    h = await harness();
    const n = FIRST_ROWS + CHUNK_ROWS + 500;
    const syn = syntheticRun(n, { seed: 3 });
    const run: Run = {
      ...loadFixture('agent-ok').run,
      id: 'r-big',
      name: 'big',
      spanCount: n,
      errorCount: 0,
      status: 'RUNNING',
      endNs: undefined,
    };
    const t0 = run.startNs;
    const toNs = (ms: number) => t0 + BigInt(Math.round(ms * 1e6));
    const spans: Span[] = syn.spans.map((v) => ({
      runId: 'r-big',
      traceId: 'a'.repeat(32),
      spanId: v.id,
      parentSpanId: v.parentId ?? undefined,
      name: v.name,
      kind: v.kind,
      startNs: toNs(v.startMs),
      endNs: v.durationMs === null ? undefined : toNs(v.startMs + v.durationMs),
      status: v.status,
      attributes: {},
      events: [],
    }));
    h.store.apply({ runs: [patch(run)], spans });
    session = new TimelineSession(h.deps, 'r-big');
    await session.receive({ type: 'ready' });
    const init = h.of('init')[0]!;
    assert.equal(init.spans.id.length, FIRST_ROWS);
    assert.equal(init.pending, n - FIRST_ROWS);
    // The first message holds the top of the tree as the timeline shows it.
    const order = displayOrder(h.store.spanHeads('r-big'));
    assert.deepEqual(
      spanIdsOf(init.spans),
      order.slice(0, FIRST_ROWS).map((s) => s.spanId),
    );
    // A span arriving live while the rest streams in waits for the stream to end.
    const late: Span = { ...spans[0]!, spanId: 'f'.repeat(16), parentSpanId: spans[0]!.spanId, name: 'late' };
    h.store.apply({ runs: [], spans: [late] });
    await until(() => h.of('spansLoaded').at(-1)?.pending === 0);
    const chunks = h.of('spansLoaded');
    assert.deepEqual(
      chunks.map((c) => c.pending),
      [n - FIRST_ROWS - CHUNK_ROWS, 0],
    );
    const sent = [init.spans, ...chunks.map((c) => c.spans)].flatMap(spanIdsOf);
    assert.equal(new Set(sent).size, n, 'every span once');
    assert.deepEqual(
      sent.slice(0, order.length),
      order.map((s) => s.spanId),
    );
    await until(() => h.of('spansUpdated').length > 0);
    const after = h.posted.findIndex((m) => m.type === 'spansUpdated');
    assert.ok(after > h.posted.indexOf(chunks.at(-1)!), 'live updates come after the last chunk');
    assert.ok(decodeSpans(h.of('spansUpdated')[0]!.spans).some((s) => s.name === 'late'));
  });

  it('reads the run while the page loads, so init leaves at ready without reading it again; a change meanwhile is not lost', async () => {
    h = await harness();
    const live = loadFixture('live-run');
    h.store.apply({ runs: [patch(live.run)], spans: live.spans });
    let reads = 0;
    const store = h.store;
    h.deps.store = {
      getRun: (id) => store.getRun(id),
      listRuns: (o) => store.listRuns(o),
      onChange: (l) => store.onChange(l),
      spanHeads: (id) => (reads++, store.spanHeads(id)),
      getSpan: (id, spanId) => store.getSpan(id, spanId),
      getSpans: (id) => store.getSpans(id),
    };
    h.deps.prefetchDelayMs = 0;
    session = new TimelineSession(h.deps, 'r-fail-42');
    await until(() => reads === 1);
    await session.receive({ type: 'ready' });
    assert.equal(reads, 1);
    assert.equal(decodeSpans(h.of('init')[0]!.spans).length, 11);
    session.dispose();

    // A live run: spans that arrive between the read and `ready` are in the init.
    h.posted.length = 0;
    session = new TimelineSession(h.deps, 'r-live-7');
    await until(() => reads === 2);
    for (const s of loadFixture('live-update').spans) h.store.apply({ runs: [], spans: [s] });
    await session.receive({ type: 'ready' });
    assert.equal(reads, 3, 'read again at ready');
    const names = decodeSpans(h.of('init')[0]!.spans).map((s) => s.name);
    assert.ok(names.includes('rule: not-null'), names.join());
  });

  it('orders spans for display depth first, children by start, orphans as roots, cycles last', () => {
    const s = (spanId: string, startNs: bigint, parentSpanId?: string) => ({ spanId, startNs, parentSpanId });
    const order = displayOrder([
      s('c2', 5n, 'r'),
      s('r', 0n),
      s('c1', 1n, 'r'),
      s('g', 2n, 'c1'),
      s('o', 3n, 'gone'),
      s('x', 4n, 'y'),
      s('y', 4n, 'x'),
    ]);
    assert.deepEqual(
      order.map((x) => x.spanId),
      ['r', 'c1', 'g', 'c2', 'o', 'x', 'y'],
    );
  });

  it('drops invalid messages from the webview and logs them', async () => {
    h = await harness();
    session = new TimelineSession(h.deps, 'r-fail-42');
    await session.receive({ type: 'openSource', file: 42, line: 'x' });
    await session.receive({ type: 'runCommand', command: 'rm -rf /' });
    await session.receive('ready');
    assert.equal(h.opened.length, 0);
    assert.equal(h.posted.length, 0);
    assert.equal(h.warnings.length, 3);
    assert.match(h.warnings[0]!, /invalid message/);
  });

  it('batches live span updates into one message per window and reports spans left open as INCOMPLETE', async () => {
    h = await harness();
    const live = loadFixture('live-run');
    h.store.apply({ runs: [patch(live.run)], spans: live.spans });
    session = new TimelineSession(h.deps, 'r-live-7');
    await session.receive({ type: 'ready' });
    assert.equal(h.of('init')[0]!.spans.id.length, 3);
    const upd = loadFixture('live-update');
    for (const s of upd.spans) h.store.apply({ runs: [], spans: [s] });
    assert.equal(h.of('spansUpdated').length, 0, 'nothing before the batch window closes');
    await until(() => h.of('spansUpdated').length > 0);
    const batches = h.of('spansUpdated');
    assert.equal(batches.length, 1);
    const first = decodeSpans(batches[0]!.spans);
    assert.deepEqual(first.map((s) => s.name).sort(), ['parse', 'rule: not-null', 'validate']);
    assert.equal(first.find((s) => s.name === 'parse')!.durationMs, 890);

    h.store.endRun('r-live-7', { exitCode: 0 });
    await until(() => h.of('spansUpdated').length > batches.length);
    const last = h.of('spansUpdated').at(-1)!;
    assert.notEqual(last, batches[0]);
    assert.deepEqual(
      decodeSpans(last.spans)
        .map((s) => [s.name, s.status])
        .sort(),
      [
        ['ingest-pipeline', 'INCOMPLETE'],
        ['validate', 'INCOMPLETE'],
      ],
    );
    assert.notEqual(last.run.status, 'RUNNING');
  });

  it('compares with the picked run and points at the first divergence', async () => {
    h = await harness('r-ok-41');
    session = new TimelineSession(h.deps, 'r-fail-42');
    await session.receive({ type: 'ready' });
    await session.receive({ type: 'pickCompareRun' });
    assert.deepEqual(
      h.picks[0]!.runs.map((r) => r.id),
      ['r-ok-41'],
    );
    const cmp = h.of('compareData')[0]!.compare!;
    assert.equal(cmp.other.id, 'r-ok-41');
    const first = cmp.rows[cmp.firstDivergence!]!;
    assert.equal(first.name, 'batch');
    assert.equal(first.divergence, 'status');
    assert.ok(spanIdsOf(cmp.otherSpans).includes(first.aId!));
    assert.equal(session.state.compareRunId, 'r-ok-41');
    // The baseline's spans have their detail on request too; runs the panel does not show do not.
    await session.receive({ type: 'getSpanDetail', spanId: first.aId!, runId: 'r-ok-41' });
    assert.equal(h.of('spanDetail').at(-1)!.runId, 'r-ok-41');
    assert.ok(h.of('spanDetail').at(-1)!.detail);
    await session.receive({ type: 'getSpanDetail', spanId: first.aId!, runId: 'r-other' });
    assert.equal(h.of('spanDetail').at(-1)!.detail, null);
    await session.receive({ type: 'getSpanDetail', spanId: 'ffffffffffffffff' });
    assert.equal(h.of('spanDetail').at(-1)!.detail, null);

    await session.receive({ type: 'clearCompare' });
    assert.equal(h.of('compareData').at(-1)!.compare, null);
    assert.equal(session.state.compareRunId, null);
  });

  it('does nothing when the run picker is dismissed', async () => {
    h = await harness(undefined);
    session = new TimelineSession(h.deps, 'r-fail-42');
    await session.receive({ type: 'ready' });
    await session.receive({ type: 'pickCompareRun' });
    assert.equal(h.picks.length, 1);
    assert.equal(h.of('compareData').length, 0);
  });

  it('opens the resolved source of a span, and says so when a span has none', async () => {
    h = await harness();
    session = new TimelineSession(h.deps, 'r-fail-42');
    await session.receive({ type: 'ready' });
    const spans = decodeSpans(h.of('init')[0]!.spans);
    const failed = spans.find((s) => s.status === 'ERROR' && s.name === 'batch')!;
    await session.receive({ type: 'goToSource', spanId: failed.id });
    assert.deepEqual(h.opened, [{ file: '/work/examples/eval/pipeline.py', line: 88 }]);
    await session.receive({ type: 'goToSource', spanId: spans.find((s) => s.name === 'plan')!.id });
    assert.deepEqual(h.infos, ['No source location recorded for “plan”.']);
    // A span of a run this panel does not show is refused.
    await session.receive({ type: 'goToSource', spanId: failed.id, runId: 'r-ok-41' });
    assert.equal(h.opened.length, 1);
    await session.receive({ type: 'openSource', file: '/work/examples/eval/checks.py', line: 17 });
    assert.deepEqual(h.opened[1], { file: '/work/examples/eval/checks.py', line: 17 });
    await session.receive({ type: 'copy', text: 'ValueError' });
    assert.deepEqual(h.copied, ['ValueError']);
  });

  it('restores the selection and the comparison a reloaded panel saved', async () => {
    h = await harness();
    const spanId = loadFixture('agent-failed').spans.find((s) => s.name === 'plan')!.spanId;
    session = new TimelineSession(h.deps, 'r-fail-42', { selectSpanId: spanId, compareRunId: 'r-ok-41' });
    await session.receive({ type: 'ready' });
    const init = h.of('init')[0]!;
    assert.equal(init.selectSpanId, spanId);
    assert.equal(init.compare?.other.id, 'r-ok-41');
    await session.receive({ type: 'selectSpan', spanId: 'abcdef0123456789' });
    assert.deepEqual(session.state, { runId: 'r-fail-42', selectedSpanId: 'abcdef0123456789', compareRunId: 'r-ok-41' });
  });

  it('asks the webview to reveal a span (CodeLens) once it is ready', async () => {
    h = await harness();
    session = new TimelineSession(h.deps, 'r-fail-42');
    session.reveal('0123456789abcdef');
    assert.equal(h.posted.length, 0);
    await session.receive({ type: 'ready' });
    assert.equal(h.of('init')[0]!.selectSpanId, '0123456789abcdef');
    session.reveal('fedcba9876543210');
    assert.deepEqual(h.posted.at(-1), { type: 'selectSpan', spanId: 'fedcba9876543210' });
  });

  it('tells the webview when its run is deleted, and stops comparing with a deleted run', async () => {
    h = await harness();
    session = new TimelineSession(h.deps, 'r-fail-42', { compareRunId: 'r-ok-41' });
    await session.receive({ type: 'ready' });
    h.store.deleteRun('r-ok-41');
    assert.equal(h.of('compareData').at(-1)!.compare, null);
    h.store.deleteRun('r-fail-42');
    assert.equal(h.of('runMissing').length, 1);
  });
});

describe('timeline page and views (host side)', () => {
  it('builds a static page with a strict CSP, a fresh nonce on its one script and no inline code', () => {
    const nonce = makeNonce();
    assert.notEqual(nonce, makeNonce());
    assert.match(nonce, /^[A-Za-z0-9+/]{22}==$/);
    const html = timelineHtml({
      cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
      scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/timeline.js',
      styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/timeline.css',
      nonce,
    });
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)![1]!;
    assert.match(csp, /^default-src 'none'; /);
    assert.match(csp, new RegExp(`script-src 'nonce-${nonce.replace(/[+/]/g, '\\$&')}'`));
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    const scripts = html.match(/<script\b[^>]*>/g)!;
    assert.equal(scripts.length, 1);
    assert.match(scripts[0]!, /nonce=".+" src=".+timeline\.js"/);
    assert.doesNotMatch(html, /<style|\sstyle="|\son\w+="/);
  });

  it("shows the run's name, status and span count as a loading state in the page itself, as text", () => {
    const html = timelineHtml({
      cspSource: 'https://x.invalid',
      scriptUri: 'https://x.invalid/timeline.js',
      styleUri: 'https://x.invalid/timeline.css',
      nonce: makeNonce(),
      header: { name: `<img src=x onerror="alert(1)"> & 'q'`, status: 'RUNNING', spanCount: 100_000 },
    });
    assert.match(html, /<span class="tl-run-name">&lt;img src=x onerror=&quot;alert\(1\)&quot;&gt; &amp; &#39;q&#39;<\/span>/);
    assert.match(html, /Loading 100,000 spans…/);
    assert.match(html, /tl-boot-dot st-running/);
    assert.doesNotMatch(html, /<img|<style|\sstyle="|\son\w+="/);
    // A status that is not a status word never reaches a class or the text.
    const odd = timelineHtml({
      cspSource: 'c',
      scriptUri: 's',
      styleUri: 't',
      nonce: 'n',
      header: { name: 'r', status: 'x" onclick="y', spanCount: 1 },
    });
    assert.doesNotMatch(odd, /onclick/);
    assert.match(odd, /Loading 1 span…/);
  });

  it('converts spans to offsets from the run start, JSON-safe, with no duration while open', () => {
    const fx = loadFixture('agent-failed');
    const run = fx.run;
    const hb = fx.spans.find((s) => s.name === 'heartbeat')!;
    const view = toSpanView({ ...hb, attributes: { ...hb.attributes, bad: NaN, deep: { a: { b: [Infinity] } } } }, run, () => undefined);
    assert.equal(view.startMs, 3000);
    assert.equal(view.durationMs, null);
    assert.equal(view.status, 'INCOMPLETE');
    assert.equal(view.statusLabel, 'HUNG');
    assert.equal(view.error, 'never ended (hung or killed)');
    assert.deepEqual(view.attributes.bad, 'NaN');
    assert.deepEqual(view.attributes.deep, { a: { b: ['Infinity'] } });
    assert.equal(view.source, null);
    const early = toSpanView({ ...hb, startNs: run.startNs - 5_000_000n }, run);
    assert.equal(early.startMs, -5);
    const r = toRunView(run);
    assert.equal(r.durationMs, 9130);
    assert.equal(r.errorSummary, 'ValueError: duplicate test ids: t1');
    // Plain JSON: survives a JSON round trip unchanged (no bigint, no undefined, no NaN).
    assert.deepEqual(JSON.parse(JSON.stringify({ r, view })), { r, view });
    // A resolver that throws does not break the timeline.
    assert.equal(
      toSpanView(hb, run, () => {
        throw new Error('boom');
      }).source,
      null,
    );
  });
});
