/**
 * The team store (issue 17) against the workspace store, in one run on one machine:
 *
 * 1. Ingest through the store: the same spans (the ingest bench's realistic agent spans,
 *    ~400 bytes of attributes, through the real OTLP mapping) in batches of 1,000, written by
 *    TeamStore.apply (each batch one committed PostgreSQL transaction) and by TraceStore.apply
 *    with `{ defer: true }` on a file (as the collector writes: acknowledged once journalled,
 *    rows written right after; measured both at the last acknowledgement and when the rows are
 *    all written). In this process, fresh run per measure.
 * 2. Ingest through the user's path: `runlens serve --db postgres://…` against
 *    `runlens serve --db <file>` (the built CLI), receiving OTLP/HTTP protobuf requests of 512
 *    spans (the SDK's batch) from 1 and 4 concurrent exporters (bench/serve.ts).
 * 3. A team database of 1M spans: build time, `runlens list`, and the timeline's reads on
 *    opening a run of 100k spans, against a workspace store of the same spans (teamBig.ts).
 *
 * PostgreSQL is Debian's, started by test/unit/helpers/postgres.ts in a temporary folder
 * (fsync off, as for the tests: the workspace store does not fsync each write either).
 * Results: printed, in bench/results.json (`team`) and as a table in bench/team-results.md.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { ingestOtlpJson } from '../src/core/ingest/otlp';
import type { IngestBatch } from '../src/core/model';
import { openTeamStore } from '../src/core/store/pg';
import { TraceStore } from '../src/core/store/store';
import { createTestDatabase } from '../test/unit/helpers/postgres';
import { median } from './ingest';
import { BATCH, encodeBody, otlpBatch, REQUESTS, workload } from './otlpLoad';
import { post, startServe } from './serve';
import { benchTeamBig, teamOptions } from './teamBig';

const ROOT = path.resolve(__dirname, '..');
const REPS = 3;
const APPLY_BATCH = 1_000;
const APPLY_BATCHES = 50;

const rate = (spans: number, ms: number) => Math.round(spans / (ms / 1000));
const k = (n: number) => `${(n / 1000).toFixed(1)}k`;

/** 50 batches of 1,000 spans of one new trace (run). */
function applyWorkload(seed: number): IngestBatch[] {
  return Array.from({ length: APPLY_BATCHES }, (_, b) => ingestOtlpJson(otlpBatch(seed, b * APPLY_BATCH, APPLY_BATCH)));
}

async function applyRates(db: { url: string; password: string }): Promise<Record<string, unknown>> {
  const spans = APPLY_BATCH * APPLY_BATCHES;
  const team: number[] = [];
  const wsAck: number[] = [];
  const wsRows: number[] = [];
  const sample = applyWorkload(1).at(-1)!.spans[3]!;
  const attrBytes = JSON.stringify(sample.attributes).length;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-bench-team-'));
  try {
    for (let r = 0; r < REPS; r++) {
      const batches = applyWorkload(20_000 + r);
      const store = await openTeamStore(teamOptions(db));
      store.apply(ingestOtlpJson(otlpBatch(29_000 + r, 0, 16))); // connections warm
      let t0 = performance.now();
      for (const b of batches) store.apply(b);
      team.push(rate(spans, performance.now() - t0));
      if (store.getRun(batches[0]!.spans[0]!.runId)?.spanCount !== spans) throw new Error('team store: spans missing');
      await store.close();

      const again = applyWorkload(20_000 + r);
      const ws = await TraceStore.open({ path: path.join(dir, `ws-${r}.db`) });
      ws.apply(ingestOtlpJson(otlpBatch(29_000 + r, 0, 16)), { defer: true });
      t0 = performance.now();
      for (const b of again) ws.apply(b, { defer: true });
      wsAck.push(rate(spans, performance.now() - t0));
      // A read waits for the deferred rows: then every row is written.
      if (ws.getRun(again[0]!.spans[0]!.runId)?.spanCount !== spans) throw new Error('workspace store: spans missing');
      wsRows.push(rate(spans, performance.now() - t0));
      await ws.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const t = median(team);
  const a = median(wsAck);
  const w = median(wsRows);
  console.log(
    `team: apply, ${APPLY_BATCHES} batches of ${APPLY_BATCH} spans (~${attrBytes} bytes of attributes each): ` +
      `team store ${k(t)} spans/s committed | workspace store ${k(a)} spans/s acknowledged, ${k(w)} spans/s rows written | ` +
      `team = ${(t / a).toFixed(2)} × acknowledged, ${(t / w).toFixed(2)} × rows written (medians of ${REPS})`,
  );
  return {
    spansPerMeasure: spans,
    batch: APPLY_BATCH,
    attributeBytesPerSpan: attrBytes,
    teamSpansPerSec: t,
    teamRuns: team,
    workspaceAckSpansPerSec: a,
    workspaceAckRuns: wsAck,
    workspaceRowsSpansPerSec: w,
    workspaceRowsRuns: wsRows,
    teamVsWorkspaceAck: +(t / a).toFixed(3),
    teamVsWorkspaceRows: +(t / w).toFixed(3),
  };
}

/** Spans per second `runlens serve --db <db>` acknowledges, from `exporters` exporters sending protobuf. */
async function serveRate(db: string, exporters: number, seed: number): Promise<number> {
  const bodies = workload(exporters, seed).map((reqs) => reqs.map((r) => encodeBody(r, 'protobuf')));
  const serve = await startServe(db);
  const agent = new http.Agent({ keepAlive: true, maxSockets: exporters });
  try {
    const warm = await post(serve.port, encodeBody(otlpBatch(seed + 999, 0, 64), 'protobuf'), 'application/x-protobuf', agent);
    if (warm !== 200) throw new Error(`collector answered ${warm}`);
    const t0 = performance.now();
    await Promise.all(
      bodies.map(async (mine) => {
        for (const body of mine) {
          const status = await post(serve.port, body, 'application/x-protobuf', agent);
          if (status !== 200) throw new Error(`collector answered ${status}`);
        }
      }),
    );
    return rate(REQUESTS * BATCH, performance.now() - t0);
  } finally {
    agent.destroy();
    await serve.stop();
  }
}

async function serveRates(db: { url: string }): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-bench-team-serve-'));
  let seed = 40_000;
  try {
    for (const exporters of [1, 4]) {
      const team: number[] = [];
      const ws: number[] = [];
      for (let r = 0; r < REPS; r++) {
        team.push(await serveRate(db.url, exporters, (seed += 16)));
        ws.push(await serveRate(path.join(dir, `serve-${exporters}-${r}.db`), exporters, (seed += 16)));
      }
      const t = median(team);
      const w = median(ws);
      console.log(
        `team: runlens serve, OTLP protobuf, ${exporters} exporter${exporters > 1 ? 's' : ''}: --db postgres:// ${k(t)} spans/s | ` +
          `--db <file> ${k(w)} spans/s | team = ${(t / w).toFixed(2)} × workspace (medians of ${REPS})`,
      );
      out[`${exporters} exporter${exporters > 1 ? 's' : ''}`] = {
        team: t,
        teamRuns: team,
        workspace: w,
        workspaceRuns: ws,
        ratio: +(t / w).toFixed(3),
      };
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { spansPerMeasure: REQUESTS * BATCH, spansPerRequest: BATCH, ...out };
}

type Big = Awaited<ReturnType<typeof benchTeamBig>> & {
  build: { team: { wallSec: number; applySec: number; sizeMB: number }; workspace: { wallSec: number; sizeMB: number } };
  list: Record<'team' | 'workspace', { ms: number; rssMB: number }>;
  openTimeline100k: Record<
    'team' | 'workspace',
    { openStoreMs: number; getRunAndSpanHeadsMs: number; getSpanMs: number; spanHeadsAgainMs: number }
  >;
};

/** The table printed and written to bench/team-results.md. */
function table(apply: Record<string, number>, serve: Record<string, { team: number; workspace: number }>, big: Big): string {
  const row = (what: string, team: number, ws: number, unit: string, digits = 0) =>
    `| ${what} | ${team.toFixed(digits)} ${unit} | ${ws.toFixed(digits)} ${unit} | ${(team / ws).toFixed(2)} |`;
  return [
    '| measure | team store (PostgreSQL) | workspace store (file) | team ÷ workspace |',
    '| --- | --- | --- | --- |',
    row('apply, batches of 1,000 (workspace: acknowledged)', apply.teamSpansPerSec!, apply.workspaceAckSpansPerSec!, 'spans/s'),
    row('apply, batches of 1,000 (workspace: rows written)', apply.teamSpansPerSec!, apply.workspaceRowsSpansPerSec!, 'spans/s'),
    ...Object.entries(serve)
      .filter(([, v]) => typeof v === 'object')
      .map(([n, v]) => row(`runlens serve, OTLP protobuf, ${n}`, v.team, v.workspace, 'spans/s')),
    row('build 1M spans (wall)', big.build.team.wallSec, big.build.workspace.wallSec, 's'),
    row('size of 1M spans', big.build.team.sizeMB, big.build.workspace.sizeMB, 'MB'),
    row('`runlens list` (1M spans, 181 runs), wall', big.list.team.ms, big.list.workspace.ms, 'ms'),
    row('`runlens list`, peak RSS', big.list.team.rssMB, big.list.workspace.rssMB, 'MB'),
    row(
      'open timeline, 100k-span run: store open',
      big.openTimeline100k.team.openStoreMs,
      big.openTimeline100k.workspace.openStoreMs,
      'ms',
    ),
    row(
      'open timeline: getRun + spanHeads',
      big.openTimeline100k.team.getRunAndSpanHeadsMs,
      big.openTimeline100k.workspace.getRunAndSpanHeadsMs,
      'ms',
    ),
    row('open timeline: getSpan (one step)', big.openTimeline100k.team.getSpanMs, big.openTimeline100k.workspace.getSpanMs, 'ms', 1),
    row('spanHeads again (warm)', big.openTimeline100k.team.spanHeadsAgainMs, big.openTimeline100k.workspace.spanHeadsAgainMs, 'ms'),
  ].join('\n');
}

export async function benchTeam(): Promise<Record<string, unknown>> {
  execFileSync(process.execPath, ['esbuild.config.mjs'], { cwd: ROOT, stdio: 'ignore' });
  const db = await createTestDatabase();
  // The CLI processes (serve, list) take the password from the environment, as a user's do.
  process.env.PGPASSWORD = db.password;
  const apply = await applyRates(db);
  const serve = await serveRates(db);
  const big = (await benchTeamBig(db, ROOT)) as Big;
  const text = table(apply as Record<string, number>, serve as Record<string, { team: number; workspace: number }>, big);
  console.log(text);
  const md = path.join(__dirname, 'team-results.md');
  fs.writeFileSync(
    md,
    `# Team store benchmark (\`npm run bench -- team\`)\n\n${new Date().toISOString()}, node ${process.version}, ` +
      `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}; PostgreSQL from test/unit/helpers/postgres.ts (local, fsync off). ` +
      `Medians of ${REPS} (ingest) and ${big.reps} (list, timeline). 1M spans: ${big.shape}.\n\n${text}\n`,
  );
  return { apply, serve, ...big };
}
