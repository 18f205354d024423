/**
 * `npm run bench`: every benchmark, printed and written to bench/results.json.
 * `npm run bench -- <name> [<name>…]`: only those (results.json keeps the other parts' last figures).
 *
 * Parts, in the order they run: ingest, host-block (the extension host's thread while the
 * store ingests and snapshots), import, persist, cli, activation, vscode (Open Timeline),
 * import-open (Import Trace File → tree → timeline), team (PostgreSQL team store vs workspace store: ingest, 1M-span list and
 * open timeline; needs Debian's postgresql, ~5 minutes), timeline (the webview alone, headless). Big stores: RUNLENS_BENCH_1GB=1 (cli, activation). About 6 minutes on 2 cores
 * with the stores cached in bench/.cache (building them adds a minute or so).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { benchIngest } from './ingest';
import { benchImport } from './import';
import { benchCli } from './cli';
import { benchVscode } from './vscode';
import { benchActivation } from './activation';
import { benchImportOpen } from './importOpen';
import { benchPersist } from './persist';
import { benchHostBlock } from './hostBlock';
import { benchTeam } from './team';

type Part = () => Promise<unknown>;

const PARTS: Record<string, Part> = {
  ingest: benchIngest,
  'host-block': () => benchHostBlock(false),
  import: benchImport,
  persist: benchPersist,
  cli: benchCli,
  activation: benchActivation,
  vscode: benchVscode,
  'import-open': benchImportOpen,
  team: benchTeam,
  timeline: async () => {
    // Written by the timeline work; loaded by path so this file builds without it.
    const { benchTimeline } = (await import(path.join(__dirname, 'timeline.ts'))) as { benchTimeline: () => Promise<unknown> };
    return benchTimeline();
  },
};
/** Parts that run only when named (none now). */
const OPT_IN = new Set<string>();

(async () => {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((n) => !(n in PARTS));
  if (unknown.length) throw new Error(`no bench ${unknown.join(', ')}; parts: ${Object.keys(PARTS).join(', ')}`);
  const names = asked.length
    ? asked
    : Object.keys(PARTS).filter((n) => !OPT_IN.has(n) && (n !== 'timeline' || fs.existsSync(path.join(__dirname, 'timeline.ts'))));
  const out = path.join(__dirname, 'results.json');
  let previous: Record<string, unknown> = {};
  if (asked.length && fs.existsSync(out)) {
    try {
      previous = JSON.parse(fs.readFileSync(out, 'utf8')) as Record<string, unknown>;
    } catch {
      previous = {};
    }
  }
  const results: Record<string, unknown> = {
    ...previous,
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
  };
  const started = Date.now();
  for (const name of names) {
    const t0 = Date.now();
    results[name] = await PARTS[name]!();
    results[`${name}At`] = new Date().toISOString();
    console.log(`(${name}: ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    // Written after each part: a later part that fails keeps the earlier figures.
    fs.writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  }
  console.log(`wrote ${path.relative(process.cwd(), out)} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
