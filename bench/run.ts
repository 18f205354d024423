/** `npm run bench`: every benchmark, printed and written to bench/results.json. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { benchIngest } from './ingest';
import { benchCli } from './cli';
import { benchVscode } from './vscode';

(async () => {
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
  };
  const only = process.argv[2];
  if (!only || only === 'ingest') results.ingest = await benchIngest();
  if (!only || only === 'cli') results.cli = await benchCli();
  if (!only || only === 'vscode') results.vscode = await benchVscode();
  const timelineModule = path.join(__dirname, 'timeline.ts');
  if ((!only || only === 'timeline') && fs.existsSync(timelineModule)) {
    // Written by the timeline work; loaded by path so this file builds without it.
    const { benchTimeline } = (await import(timelineModule)) as { benchTimeline: () => Promise<unknown> };
    results.timeline = await benchTimeline();
  }
  const out = path.join(__dirname, 'results.json');
  fs.writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
