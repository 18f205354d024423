/**
 * The team bench's large database (bench/team.ts): 1,000,000 spans in one PostgreSQL team
 * database and, for comparison, the same spans in a workspace store, then `runlens list` (a
 * new CLI process: wall time and peak RSS) and the reads the timeline does when it opens a
 * run of 100,000 spans (getRun + spanHeads, then getSpan of one step), on each.
 *
 * Shape: one run of 100,000 spans (the large run the timeline opens; 20 batches of 5,000 of
 * one trace) and 180 runs of 5,000 (one trace each): a team's history is many ordinary runs
 * and a few large ones, and `list` then has a realistic number of rows while the timeline has
 * the largest run a user opens. Spans are the ingest bench's (otlpLoad.ts: ~400 bytes of
 * attributes, an event on every tenth), through the real OTLP mapping, written by each store's
 * own apply in batches of 5,000 (the fastest honest way: what an import or a collector does).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ingestOtlpJson } from '../src/core/ingest/otlp';
import type { IngestBatch } from '../src/core/model';
import { openTeamStore } from '../src/core/store/pg';
import { TraceStore } from '../src/core/store/store';
import type { Store } from '../src/core/store/types';
import { runCli, storeBytes, writeRssProbe, type Measure } from './cli';
import { median } from './ingest';
import { otlpBatch } from './otlpLoad';

/** The team store's thread as the CLI and the extension run it (the bundle esbuild writes), not the TypeScript sources under tsx. */
export const teamOptions = (db: { url: string; password: string }) => ({
  url: db.url,
  password: db.password,
  workerFile: path.join(path.resolve(__dirname, '..'), 'dist', 'pgWorker.js'),
});
const BIG = 100_000;
const SMALL = 5_000;
const SMALL_RUNS = 180;
const BUILD_BATCH = 5_000;
const REPS = 5;
const BIG_SEED = 70_000;
/** The workspace store's bounds for 1M spans (its defaults, 200 MB and 100 runs or so, would drop most of them). */
const WORKSPACE_BOUNDS = { maxRuns: 1_000_000, maxBytes: 16 * 1024 ** 3 };

/** The batches of the large database, in the order written (made as they are written: 1M spans do not sit in memory). */
function* buildBatches(): Generator<IngestBatch> {
  for (let from = 0; from < BIG; from += BUILD_BATCH) yield ingestOtlpJson(otlpBatch(BIG_SEED, from, BUILD_BATCH, 'bench-big'));
  for (let r = 0; r < SMALL_RUNS; r++) yield ingestOtlpJson(otlpBatch(BIG_SEED + 1 + r, 0, SMALL, `bench-run-${r % 7}`));
}

/** Write every batch; returns the seconds the store's apply took (making the batches not counted) and the run ids. */
function build(store: Store, apply: (b: IngestBatch) => void): { applySec: number; wallSec: number; bigRun: string; spans: number } {
  let applyMs = 0;
  let spans = 0;
  let bigRun = '';
  const w0 = performance.now();
  for (const batch of buildBatches()) {
    bigRun ||= batch.spans[0]!.runId;
    const t0 = performance.now();
    apply(batch);
    applyMs += performance.now() - t0;
    spans += batch.spans.length;
  }
  const got = store.getRun(bigRun);
  if (got?.spanCount !== BIG) throw new Error(`the large run holds ${got?.spanCount} spans, not ${BIG}`);
  return { applySec: applyMs / 1000, wallSec: (performance.now() - w0) / 1000, bigRun, spans };
}

interface OpenTimes {
  openStoreMs: number;
  headsMs: number;
  stepMs: number;
  headsAgainMs: number;
}

/** The timeline's reads on open, in a store opened for the purpose (a window that just started). */
async function openTimeline(open: () => Promise<Store>, runId: string): Promise<OpenTimes> {
  const t0 = performance.now();
  const store = await open();
  const t1 = performance.now();
  try {
    const run = store.getRun(runId);
    const heads = store.spanHeads(runId);
    const t2 = performance.now();
    if (!run || heads.length !== BIG) throw new Error(`the timeline read ${heads.length} heads`);
    const step = store.getSpan(runId, heads[Math.floor(heads.length / 2)]!.spanId);
    const t3 = performance.now();
    if (!step) throw new Error('no step');
    store.spanHeads(runId);
    const t4 = performance.now();
    return { openStoreMs: t1 - t0, headsMs: t2 - t1, stepMs: t3 - t2, headsAgainMs: t4 - t3 };
  } finally {
    await store.close();
  }
}

const med = (xs: OpenTimes[], k: keyof OpenTimes) => Math.round(median(xs.map((x) => x[k])) * 10) / 10;
const summary = (xs: OpenTimes[]) => ({
  openStoreMs: med(xs, 'openStoreMs'),
  getRunAndSpanHeadsMs: med(xs, 'headsMs'),
  getSpanMs: med(xs, 'stepMs'),
  spanHeadsAgainMs: med(xs, 'headsAgainMs'),
});
const listSummary = (xs: Measure[]) => ({
  ms: Math.round(median(xs.map((x) => x.ms))),
  rssMB: Math.round(median(xs.map((x) => x.rssMB))),
  runs: xs.map((x) => Math.round(x.ms)),
});

export async function benchTeamBig(db: { url: string; password: string }, root: string): Promise<Record<string, unknown>> {
  writeRssProbe();
  // The team database.
  const team = await openTeamStore(teamOptions(db));
  const teamBuild = build(team, (b) => team.apply(b));
  const teamMB = team.sizeBytes() / 1024 / 1024;
  await team.close();
  console.log(
    `team: built a team database of ${teamBuild.spans.toLocaleString()} spans (${SMALL_RUNS + 1} runs) in ${teamBuild.wallSec.toFixed(0)} s ` +
      `(apply ${teamBuild.applySec.toFixed(0)} s = ${Math.round(teamBuild.spans / teamBuild.applySec)} spans/s), ${teamMB.toFixed(0)} MB in PostgreSQL`,
  );
  // The same spans in a workspace store.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-bench-team-ws-'));
  const file = path.join(dir, 'traces.db');
  try {
    const ws = await TraceStore.open({ path: file, ...WORKSPACE_BOUNDS, snapshotIdleMs: 0 });
    const wsBuild = build(ws, (b) => ws.apply(b));
    const c0 = performance.now();
    await ws.close();
    const closeSec = (performance.now() - c0) / 1000;
    const wsMB = storeBytes(file) / 1024 / 1024;
    console.log(
      `team: built the same in a workspace store in ${(wsBuild.wallSec + closeSec).toFixed(0)} s (apply ${wsBuild.applySec.toFixed(0)} s, ` +
        `writing files on close ${closeSec.toFixed(0)} s), ${wsMB.toFixed(0)} MB on disk (maxBytes raised to 16 GB)`,
    );
    const list = { team: [] as Measure[], workspace: [] as Measure[] };
    for (let i = 0; i < REPS; i++) {
      list.team.push(await runCli(['list', '--db', db.url], root));
      list.workspace.push(await runCli(['list', '--db', file], root));
    }
    const open = { team: [] as OpenTimes[], workspace: [] as OpenTimes[] };
    for (let i = 0; i < REPS; i++) {
      open.team.push(await openTimeline(() => openTeamStore(teamOptions(db)), teamBuild.bigRun));
      open.workspace.push(await openTimeline(() => TraceStore.open({ path: file, ...WORKSPACE_BOUNDS }), wsBuild.bigRun));
    }
    return {
      shape: `${SMALL_RUNS} runs of ${SMALL} spans + 1 run of ${BIG} (${teamBuild.spans} spans), built in batches of ${BUILD_BATCH}`,
      build: {
        team: { wallSec: Math.round(teamBuild.wallSec), applySec: Math.round(teamBuild.applySec), sizeMB: Math.round(teamMB) },
        workspace: {
          wallSec: Math.round(wsBuild.wallSec + closeSec),
          applySec: Math.round(wsBuild.applySec),
          closeSec: Math.round(closeSec),
          sizeMB: Math.round(wsMB),
          maxBytes: WORKSPACE_BOUNDS.maxBytes,
        },
      },
      list: { team: listSummary(list.team), workspace: listSummary(list.workspace) },
      openTimeline100k: { team: summary(open.team), workspace: summary(open.workspace) },
      reps: REPS,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
