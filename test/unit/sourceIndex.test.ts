/**
 * The facts behind CodeLens, Problems and the hover, from real runs of the flaky example
 * (real runner, real collector on loopback, real sql.js store): the failure sits at the
 * line that raised, outlives nothing it should not, and history counts every run.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Collector } from '../../src/core/collector';
import type { Run } from '../../src/core/model';
import { launch } from '../../src/core/runner';
import type { StoreChange } from '../../src/core/store/store';
import { TraceStore } from '../../src/core/store/store';
import { historyText, percentile, SourceIndex } from '../../src/extension/sourceIndex';
import { formatDuration } from '../../src/shared/format';

const REPO = path.resolve(__dirname, '..', '..');

function markerLine(file: string, marker: string): number {
  return (
    fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes(`RUNLENS-MARK: ${marker}`)) + 1
  );
}

describe('source index: failed steps and step history at the code', function () {
  this.timeout(60_000);
  let dir: string;
  let file: string;
  let store: TraceStore;
  let collector: Collector;
  let index: SourceIndex;
  const changes: StoreChange[] = [];

  const run = async (...args: string[]): Promise<Run> => {
    const w = launch(store, {
      command: ['python3', 'event_generation.py', ...args],
      cwd: dir,
      endpoint: collector.endpoint,
      workflow: 'event generation',
    });
    return w.done;
  };
  /** Fold the store's changes in once every finished run's digest is made (they are made in the background, each told by a change). */
  const fold = async (): Promise<boolean> => {
    const missing = () =>
      Number(store.query("SELECT count(*) AS n FROM runs WHERE status != 'RUNNING' AND id NOT IN (SELECT run_id FROM run_digests)")[0]!.n);
    while (missing() > 0) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setImmediate(r));
    return index.update(changes.splice(0));
  };

  before(async () => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-index-')));
    fs.copyFileSync(path.join(REPO, 'examples', 'event_generation.py'), path.join(dir, 'event_generation.py'));
    file = path.join(dir, 'event_generation.py');
    store = await TraceStore.open();
    collector = await Collector.start(store, { port: 0 });
    store.onChange((c) => changes.push(c));
    index = new SourceIndex(store, { sourceOptions: (r) => ({ workspaceRoot: dir, cwd: r.cwd ?? dir }) });
  });

  after(async () => {
    await collector?.close();
    await store?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('has no failures after a passing run, but knows each step function', async () => {
    assert.equal((await run()).status, 'SUCCESS');
    await fold();
    assert.deepEqual(index.failures(), []);
    const steps = index.historyIn(file).map((h) => `${h.step}@${h.line}`);
    assert.ok(steps.includes(`validate@${markerLine(file, 'validate-def')}`), steps.join(', '));
  });

  it('puts the second run’s failure at the line that raised, with its error and outer frames', async () => {
    const second = await run();
    assert.equal(second.status, 'FAILED');
    await fold();
    const f = index.failuresIn(file);
    assert.equal(f.length, 1, JSON.stringify(f.map((x) => `${x.step}:${x.line}`)));
    assert.equal(f[0]!.step, 'validate');
    assert.equal(f[0]!.runId, second.id);
    assert.equal(f[0]!.line, markerLine(file, 'validate-raises'));
    assert.equal(f[0]!.error, 'ValueError: duplicate test ids: t1, t2, t3, t4');
    assert.equal(f[0]!.errorType, 'ValueError');
    assert.ok(
      f[0]!.outerFrames.some((fr) => fr.line === markerLine(file, 'validate-def') + 1 || fr.function?.includes('validate')),
      'the validate step frame is related information',
    );
    assert.deepEqual([...index.failuresByFile().keys()], [file]);
  });

  it('counts runs and failures per step function in its history lens', () => {
    const validate = index.historyIn(file).find((h) => h.step === 'validate')!;
    assert.equal(validate.samples.length, 2);
    assert.equal(validate.failed, 1);
    assert.equal(validate.last, 'ERROR');
    assert.match(
      historyText(validate, formatDuration),
      /^2 runs · failed 1 of last 2( · first after [^·]+)? · p50 .+ · p95 .+ · last: ERROR$/,
    );
  });

  it('clears the failure once a later run of the workflow passes that step', async () => {
    assert.equal((await run('--reset')).exitCode, 0);
    const third = await run();
    assert.equal(third.status, 'SUCCESS');
    assert.equal(await fold(), true);
    assert.deepEqual(index.failures(), []);
    assert.equal(index.historyIn(file).find((h) => h.step === 'validate')!.last, 'OK');
  });

  it('drops the facts of deleted runs', async () => {
    for (const r of store.listRuns()) store.deleteRun(r.id);
    await fold();
    assert.deepEqual(index.historyIn(file), []);
  });

  it('computes nearest-rank percentiles', () => {
    assert.equal(percentile([], 50), undefined);
    assert.equal(percentile([1, 2, 3, 4], 50), 2);
    assert.equal(percentile([1, 2, 3, 4], 95), 4);
    assert.equal(percentile([7], 95), 7);
  });
});
