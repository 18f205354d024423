/**
 * `runlens show` prints a run's log records under the steps they were emitted in (one line
 * each, terminal-safe), those of no step at the end, and one line per metric series; --severity
 * chooses the least severe record shown and --json carries them too. Real store, real CLI.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { TraceStore } from '../../src/core/store/store';
import type { LogRecord } from '../../src/core/signals';
import { buildCli, runCli } from './helpers/cli';
import { tempDir } from './helpers/fixtures';
import { stepSpan } from './helpers/spans';

const T0 = 1_700_000_000_000_000_000n;
const MS = 1_000_000n;

describe('runlens show with logs and metrics', function () {
  this.timeout(60_000);
  let dir: string;
  let db: string;
  before(() => buildCli());
  beforeEach(async () => {
    dir = tempDir();
    db = path.join(dir, 'traces.db');
    const store = await TraceStore.open({ path: db });
    const load = stepSpan('r1', 'a', 'load', { startNs: T0 });
    const log = (over: Partial<LogRecord>): LogRecord => ({
      runId: 'r1',
      timeNs: T0,
      severityNumber: 9,
      body: '',
      attributes: {},
      ...over,
    });
    store.apply({
      runs: [{ id: 'r1', name: 'etl', source: 'launch', startNs: T0 }],
      spans: [load],
      logs: [
        log({
          timeNs: T0 + 5n * MS,
          severityNumber: 13,
          severityText: 'WARN',
          body: 'retrying\nsecond line',
          spanId: load.spanId,
          traceId: load.traceId,
        }),
        log({ timeNs: T0 + 6n * MS, severityNumber: 5, body: 'debug detail', spanId: load.spanId }),
        log({ timeNs: T0 + 7n * MS, severityNumber: 17, body: 'evil \u001b]0;pwned\u0007 title' }),
      ],
      metrics: [1, 5, 3].map((value, i) => ({
        runId: 'r1',
        name: 'rows',
        unit: '{row}',
        kind: 'sum' as const,
        monotonic: true,
        timeNs: T0 + BigInt(i) * MS,
        value,
        attributes: { table: 'a' },
      })),
    });
    store.endRun('r1', { exitCode: 0, endNs: T0 + 200n * MS });
    await store.close();
  });

  it('prints each step’s logs under it, logs of no step and metric series at the end', async () => {
    const show = await runCli(['show', 'r1', '--db', db], dir);
    assert.equal(show.code, 0, show.stderr);
    const lines = show.stdout.split('\n');
    const step = lines.findIndex((l) => /✓ load/.test(l));
    assert.match(lines[step + 1]!, /^\s+WARN\s+\+5 ms\s+retrying…$/, 'under its step, cut to its first line');
    assert.ok(!show.stdout.includes('debug detail'), 'below --severity (info by default)');
    const tail = lines.slice(lines.indexOf('Logs not tied to a step:'));
    assert.match(tail[1]!, /^\s+ERROR\s+\+7 ms\s+evil\s+title$/, 'through terminalText: no escape sequence reaches the terminal');
    assert.ok(!show.stdout.includes('\u001b'));
    assert.match(show.stdout, /Metrics:\n\s+rows \{row\} \{"table":"a"\}\s+3 points\s+min 1\s+max 5\s+last 3/);
  });

  it('--severity chooses the least severe record shown, --json carries logs and metrics', async () => {
    const debug = await runCli(['show', 'r1', '--db', db, '--severity', 'debug'], dir);
    assert.match(debug.stdout, /DEBUG\s+\+6 ms\s+debug detail/);
    const errors = await runCli(['show', 'r1', '--db', db, '--severity', 'error', '--json'], dir);
    const doc = JSON.parse(errors.stdout);
    assert.deepEqual(
      doc.logs.map((l: { body: string; timeNs: string }) => [l.body, l.timeNs]),
      [['evil \u001b]0;pwned\u0007 title', String(T0 + 7n * MS)]],
    );
    assert.deepEqual(
      doc.metrics[0].points.map((p: { value: number }) => p.value),
      [1, 5, 3],
    );
    const bad = await runCli(['show', 'r1', '--db', db, '--severity', 'loud'], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--severity must be one of trace, debug, info, warn, error/);
  });
});
