/**
 * CANCELLED (the user stopped the run) and INCOMPLETE (its recording process went away) as
 * the CLI prints them and as exports carry them: a stopped run is not a failed one.
 */
import { strict as assert } from 'node:assert';
import { TraceStore } from '../../src/core/store/store';
import { formatRunList, formatRunReport } from '../../src/core/report';
import { toJaegerJson, toOtlpJson } from '../../src/core/export';
import type { Run, Span } from '../../src/core/model';
import { spanFactory } from './helpers/spans';

const T0 = 1_700_000_000_000_000_000n;
const S = 1_000_000_000n;
const span = spanFactory({ traceId: 'b'.repeat(32), durationNs: S });

describe('CANCELLED and INCOMPLETE runs', () => {
  let store: TraceStore;
  beforeEach(async () => {
    store = await TraceStore.open();
  });
  afterEach(() => store.close());

  /** A run with a finished step, a failed step and a step still going when it ended. */
  function record(id: string, end: Parameters<TraceStore['endRun']>[1]): { run: Run; spans: Span[] } {
    store.apply({ runs: [{ id, name: `${id}.py`, status: 'RUNNING', source: 'launch', startNs: T0, attributes: {} }], spans: [] });
    store.apply({
      runs: [],
      spans: [
        span(id, { name: 'load' }),
        span(id, { name: 'validate', status: 'ERROR', statusMessage: 'bad row' }),
        span(id, { name: 'generate', status: 'RUNNING', endNs: undefined }),
      ],
    });
    const run = store.endRun(id, { endNs: T0 + 5n * S, ...end });
    return { run, spans: store.getSpans(id) };
  }

  describe('CLI report and list', () => {
    it('prints a stopped run as CANCELLED, says who stopped it, and lists the step it was in apart from the failed ones', () => {
      const { run, spans } = record('r1', { signal: 'SIGINT', cancelled: true });
      const text = formatRunReport(run, spans, { workspaceRoot: '/w', cwd: '/w' });
      const lines = text.split('\n');
      assert.match(lines[0]!, /^⊘ CANCELLED {2}r1\.py {2}r1 {2}5\.00 s {2}signal SIGINT$/);
      assert.equal(lines[1], 'stopped by the user (SIGINT)');
      assert.match(text, /⊘ generate {2}stopped with the run/);
      assert.doesNotMatch(text, /generate.*never ended/);
      const failed = text.slice(text.indexOf('Failed step:'), text.indexOf('Stopped while running'));
      assert.match(failed, /validate/);
      assert.doesNotMatch(failed, /generate/);
      assert.match(text.slice(text.indexOf('Stopped while running')), /generate/);
    });

    it('prints a run whose recorder went away as INCOMPLETE with the reason', () => {
      const { run, spans } = record('r2', { incomplete: 'the process recording it (pid 4242) ended without ending the run' });
      const text = formatRunReport(run, spans, { workspaceRoot: '/w', cwd: '/w' });
      assert.match(text.split('\n')[0]!, /^⧗ INCOMPLETE {2}r2\.py/);
      assert.equal(text.split('\n')[1], 'never ended: the process recording it (pid 4242) ended without ending the run');
      assert.match(text, /generate {2}never ended/, 'its open steps did hang as far as anyone knows');
    });

    it('colours CANCELLED apart from FAILED, INCOMPLETE as a warning, and keeps the list columns aligned', () => {
      const a = record('r3', { signal: 'SIGTERM', cancelled: true }).run;
      const b = record('r4', { incomplete: 'gone' }).run;
      const c = record('r5', { exitCode: 1 }).run;
      const coloured = formatRunList([a, b, c], true);
      assert.match(coloured, /\x1b\[35mCANCELLED/);
      assert.match(coloured, /\x1b\[33mINCOMPLETE/);
      assert.match(coloured, /\x1b\[31mFAILED/);
      const plain = formatRunList([a, b, c], false).split('\n');
      const nameAt = plain.map((l) => l.indexOf('.py'));
      assert.equal(new Set(nameAt).size, 1, `names start in one column:\n${plain.join('\n')}`);
    });
  });

  describe('export', () => {
    it('OTLP: the step a user stopped has no error status and says runlens.cancelled; a failed step stays an error', () => {
      const { run, spans } = record('r6', { signal: 'SIGINT', cancelled: true });
      const doc = toOtlpJson(spans, run) as {
        resourceSpans: {
          scopeSpans: { spans: { name: string; status: { code: number }; attributes: { key: string; value: unknown }[] }[] }[];
        }[];
      };
      const out = doc.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
      const byName = new Map(out.map((s) => [s.name, s]));
      assert.equal(byName.get('generate')!.status.code, 0);
      assert.deepEqual(
        byName.get('generate')!.attributes.find((a) => a.key === 'runlens.cancelled'),
        { key: 'runlens.cancelled', value: { boolValue: true } },
      );
      assert.equal(byName.get('validate')!.status.code, 2);
      assert.equal(
        byName.get('validate')!.attributes.find((a) => a.key === 'runlens.cancelled'),
        undefined,
      );
    });

    it('OTLP: a run that hung or lost its recorder keeps its open steps as errors', () => {
      const { run, spans } = record('r7', { incomplete: 'gone' });
      const doc = toOtlpJson(spans, run) as { resourceSpans: { scopeSpans: { spans: { name: string; status: { code: number } }[] }[] }[] };
      const gen = doc.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)).find((s) => s.name === 'generate')!;
      assert.equal(gen.status.code, 2);
    });

    it('Jaeger: the step a user stopped is not tagged error but runlens.cancelled, and stays INCOMPLETE', () => {
      const { run, spans } = record('r8', { signal: 'SIGINT', cancelled: true });
      const doc = toJaegerJson(run, spans) as { data: { spans: { operationName: string; tags: { key: string; value: unknown }[] }[] }[] };
      const tags = (name: string) =>
        Object.fromEntries(doc.data[0]!.spans.find((s) => s.operationName === name)!.tags.map((t) => [t.key, t.value]));
      assert.equal(tags('generate').error, undefined);
      assert.equal(tags('generate')['runlens.cancelled'], true);
      assert.equal(tags('generate')['runlens.status'], 'INCOMPLETE');
      assert.equal(tags('validate').error, true);
    });
  });
});
