/**
 * The CLI on a growing store (issue 13): wall time and peak RSS of `runlens list`,
 * `runlens show last` and `runlens run -- true` against stores of about 10 MB and 200 MB
 * (1 GB too with RUNLENS_BENCH_1GB=1: building it takes minutes and several GB of memory),
 * each command run as a user runs it: a new process of the built CLI. Target: the large
 * store costs ≤ 1.2 × the small one, in time and in memory.
 *
 * Stores are built once into bench/.cache (by the store itself, the same rows an import
 * writes) and copied before each `run`, which writes.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TraceStore } from '../src/core/store/store';
import { ingestOtlpJson } from '../src/core/ingest/otlp';
import { median, otlpRequest } from './ingest';

const ROOT = path.resolve(__dirname, '..');
const CACHE = path.join(__dirname, '.cache');
const BIN = path.join(ROOT, 'bin', 'runlens.js');
const PROBE = path.join(CACHE, 'rss-probe.js');

/**
 * Which store code built a cached store: a digest of src/core/store. A store written by other
 * code may be in another format (a newer one cannot be opened by older code, an older one
 * would be migrated in place by the first command that opens it), so each version of the
 * store code has its own cached stores. Old ones are left in bench/.cache (delete it freely).
 */
function storeCodeKey(): string {
  const dir = path.join(ROOT, 'src', 'core', 'store');
  const hash = createHash('sha256');
  for (const name of fs.readdirSync(dir).sort()) if (name.endsWith('.ts')) hash.update(name).update(fs.readFileSync(path.join(dir, name)));
  return hash.digest('hex').slice(0, 10);
}

/**
 * A store of about `mb` MB (runs of 2,000 spans each, a dozen attributes, events on some),
 * built once by the store itself into bench/.cache/store-<code>-<mb>mb/traces.db. The store
 * may be more than one file (a catalog and a database per run beside it): it is built in a
 * folder of its own and copied as that folder.
 */
export async function buildStore(mb: number): Promise<string> {
  const dir = path.join(CACHE, `store-${storeCodeKey()}-${mb}mb`);
  const file = path.join(dir, 'traces.db');
  if (fs.existsSync(file)) return file;
  const partial = `${dir}.building`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.mkdirSync(partial, { recursive: true });
  const store = await TraceStore.open({
    path: path.join(partial, 'traces.db'),
    maxRuns: 1_000_000,
    maxBytes: 64 * 1024 ** 3,
    snapshotIdleMs: 0,
  });
  let seed = 10_000;
  while (store.sizeBytes() < mb * 1024 * 1024) {
    store.apply(ingestOtlpJson(otlpRequest(2000, seed++)));
  }
  await store.close();
  fs.renameSync(partial, dir);
  return file;
}

/** Bytes of a store: its database file and everything beside it that belongs to it (traces.db.*). */
export function storeBytes(file: string): number {
  const dir = path.dirname(file);
  let total = 0;
  const walk = (p: string): void => {
    const st = fs.statSync(p);
    if (st.isDirectory()) for (const n of fs.readdirSync(p)) walk(path.join(p, n));
    else total += st.size;
  };
  for (const name of fs.readdirSync(dir))
    if (name === path.basename(file) || name.startsWith(`${path.basename(file)}.`)) walk(path.join(dir, name));
  return total;
}

export interface Measure {
  ms: number;
  rssMB: number;
}

/**
 * Writes the preload that reports a process's peak RSS when it exits: VmHWM of
 * /proc/self/status, in KB. Not process.resourceUsage().maxRSS (getrusage): Linux carries the
 * pre-exec high-water mark into it, so a CLI spawned by this bench reported at least the
 * bench's own RSS (a `runlens --version` read 178 MB beside a large bench process, 57 MB alone).
 */
export function writeRssProbe(): void {
  fs.mkdirSync(CACHE, { recursive: true });
  fs.writeFileSync(
    PROBE,
    "process.on('exit', () => { const fs = require('fs'); fs.writeFileSync(process.env.RUNLENS_RSS_OUT, /^VmHWM:\\s+(\\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]); });\n",
  );
}

/**
 * One CLI process: wall time from spawn to exit, and its peak RSS (VmHWM, written by a
 * preload as it exits; what `/usr/bin/time -v` would report without the inherited part).
 * Call writeRssProbe() first.
 */
export function runCli(args: string[], cwd: string): Promise<Measure> {
  const out = path.join(CACHE, `rss-${process.pid}-${Math.random().toString(36).slice(2)}.txt`);
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--require', PROBE, BIN, ...args], {
      cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, RUNLENS_RSS_OUT: out, NO_COLOR: '1' },
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) return reject(new Error(`runlens ${args.join(' ')} exited ${code}: ${err.slice(0, 400)}`));
      const kb = Number(fs.readFileSync(out, 'utf8'));
      fs.rmSync(out, { force: true });
      resolve({ ms, rssMB: kb / 1024 });
    });
  });
}

export async function benchCli(): Promise<unknown> {
  writeRssProbe();
  execFileSync(process.execPath, ['esbuild.config.mjs'], { cwd: ROOT, stdio: 'ignore' });
  const sizes = process.env.RUNLENS_BENCH_1GB ? [10, 200, 1024] : [10, 200];
  const rows: Record<string, Record<string, Measure & { storeMB: number }>> = {};
  for (const mb of sizes) {
    const t0 = Date.now();
    const file = await buildStore(mb);
    const storeMB = storeBytes(file) / 1024 / 1024;
    console.log(`cli: store of ${storeMB.toFixed(0)} MB ready (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    const work = path.join(CACHE, `work-${mb}mb`);
    const commands: Record<string, () => Promise<Measure>> = {
      list: () => runCli(['list', '--db', file], ROOT),
      'show last': () => runCli(['show', 'last', '--db', file], ROOT),
      'run -- true': async () => {
        // run writes: a fresh copy each time, so every measure starts from the same store.
        fs.rmSync(work, { recursive: true, force: true });
        fs.cpSync(path.dirname(file), work, { recursive: true });
        return runCli(['run', '--db', path.join(work, 'traces.db'), '--port', '0', '--no-stdin', '--', 'true'], ROOT);
      },
    };
    for (const [name, cmd] of Object.entries(commands)) {
      const runs: Measure[] = [];
      for (let i = 0; i < 3; i++) runs.push(await cmd());
      (rows[name] ??= {})[`${mb}MB`] = { ms: median(runs.map((r) => r.ms)), rssMB: median(runs.map((r) => r.rssMB)), storeMB };
    }
    fs.rmSync(work, { recursive: true, force: true });
  }
  const results: Record<string, unknown> = {};
  const small = `${sizes[0]}MB`;
  for (const [name, bySize] of Object.entries(rows)) {
    for (const mb of sizes.slice(1)) {
      const big = bySize[`${mb}MB`]!;
      const base = bySize[small]!;
      const timeRatio = big.ms / base.ms;
      const rssRatio = big.rssMB / base.rssMB;
      const pass = timeRatio <= 1.2 && rssRatio <= 1.2;
      console.log(
        `cli: ${name.padEnd(12)} ${small} ${base.ms.toFixed(0)} ms ${base.rssMB.toFixed(0)} MB  |  ${mb}MB ${big.ms.toFixed(0)} ms ${big.rssMB.toFixed(0)} MB  |  ` +
          `× ${timeRatio.toFixed(2)} time, × ${rssRatio.toFixed(2)} memory (target ≤ 1.2): ${pass ? 'met' : 'NOT met'}`,
      );
      results[`${name} @ ${mb}MB vs ${small}`] = { small: base, large: big, timeRatio, rssRatio, target: 1.2, met: pass };
    }
  }
  return results;
}
