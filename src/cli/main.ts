/**
 * `runlens` — record and inspect workflow runs from a terminal or CI, into the same
 * database the VS Code extension shows.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TraceStore, DatabaseLockedError, describeLock, readStoreSecret } from '../core/store/store';
import { Collector } from '../core/collector';
import { launch } from '../core/runner';
import { formatRunList, formatRunReport } from '../core/report';
import { toJaegerJson, toOtlpJson } from '../core/export';
import { importTraceText, ImportError } from '../core/ingest/importers';
import { forwardChanges } from '../core/forward';
import { encode } from '../core/store/codec';
import { findWorkspaceRoot, DEFAULT_DB } from '../core/workspace';

const VERSION = '0.1.0';

const HELP = `runlens ${VERSION} — record and inspect workflow traces

Usage:
  runlens run [--name N] [--db P] [--port N] -- <command> [args...]
      Run a command as a traced run: OTLP endpoint and TRACEPARENT injected, JSON-lines
      span events read from its output. Prints the run tree and failed steps with
      file:line, and exits with the command's exit code.
  runlens serve [--port N] [--db P]     Collect OTLP traces until Ctrl-C (attach mode).
  runlens list [--db P] [--limit N] [--json]
  runlens show <runId|last> [--db P] [--json]
  runlens export <runId|last> --format otlp-json|jaeger-json [--out FILE] [--db P]
  runlens import <file...> [--db P]     OTLP JSON, Jaeger JSON, execution-trace JSON, JSON lines.

The database defaults to .runlens/traces.db in the workspace root (the nearest folder
above the current one holding .runlens or .git), or $RUNLENS_DB.
`;

class UsageError extends Error {}

interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
  rest: string[];
}

function parseArgs(argv: string[], valueFlags: string[]): Parsed {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  let rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      rest = argv.slice(i + 1);
      break;
    }
    if (a.startsWith('--')) {
      const [k, inline] = a.slice(2).split(/=(.*)/s, 2);
      if (valueFlags.includes(k)) {
        const v = inline ?? argv[++i];
        if (v === undefined) throw new UsageError(`--${k} needs a value`);
        flags.set(k, v);
      } else flags.set(k, true);
    } else positional.push(a);
  }
  return { positional, flags, rest };
}

function dbPath(p: Parsed): string {
  const flag = p.flags.get('db');
  if (typeof flag === 'string') return path.resolve(flag);
  if (process.env.RUNLENS_DB) return path.resolve(process.env.RUNLENS_DB);
  return path.join(findWorkspaceRoot(process.cwd()), DEFAULT_DB);
}

function portOf(p: Parsed): number {
  const v = p.flags.get('port');
  if (v === undefined) return 4318;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port must be 0-65535, got ${v}`);
  return n;
}

const log = (m: string) => process.stderr.write(`runlens: ${m}\n`);
const color = process.stderr.isTTY && !process.env.NO_COLOR;

async function openForReading(p: Parsed): Promise<TraceStore> {
  const file = dbPath(p);
  try {
    return await TraceStore.open({ path: file, log });
  } catch (err) {
    // Another process (VS Code, `runlens serve`) owns it: read what it has written.
    if (err instanceof DatabaseLockedError) return TraceStore.open({ path: file, readOnly: true, log });
    throw err;
  }
}

async function cmdRun(p: Parsed): Promise<number> {
  if (!p.rest.length) throw new UsageError('runlens run needs a command after --, e.g. runlens run -- python3 flow.py');
  const file = dbPath(p);
  let store: TraceStore;
  let forward: ReturnType<typeof forwardChanges> | undefined;
  try {
    store = await TraceStore.open({ path: file, log });
  } catch (err) {
    if (!(err instanceof DatabaseLockedError) || !err.owner.endpoint) throw err;
    // The database belongs to a live Runlens (VS Code window, serve): record in memory and
    // hand every change to it, so the run shows up there live.
    log(`${path.relative(process.cwd(), file) || file} is open in ${err.owner.what ?? `process ${err.owner.pid}`}; sending this run to it at ${err.owner.endpoint}`);
    store = await TraceStore.open({});
    forward = forwardChanges(store, err.owner.endpoint, log, readStoreSecret(file));
  }
  const collector = await Collector.start(store, { port: portOf(p), log });
  if (!forward) describeLock(file, { what: 'runlens run', endpoint: collector.endpoint });
  const workspaceRoot = findWorkspaceRoot(process.cwd());
  const name = typeof p.flags.get('name') === 'string' ? (p.flags.get('name') as string) : undefined;
  const running = launch(store, { command: p.rest, cwd: process.cwd(), name, endpoint: collector.endpoint });
  running.onOutput((stream, text) => (stream === 'stdout' ? process.stdout : process.stderr).write(text));
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) log('stopping the run (Ctrl-C again to kill it)…');
    running.stop();
    if (interrupts > 1 && running.pid) {
      try {
        process.kill(-running.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const run = await running.done;
  process.off('SIGINT', onSigint);
  process.off('SIGTERM', onSigint);
  // Late OTLP exports (SDKs flush at exit) arrive just after the process closes its pipes.
  await new Promise((r) => setTimeout(r, 150));
  const spans = store.getSpans(run.id);
  process.stderr.write('\n' + formatRunReport(store.getRun(run.id) ?? run, spans, { workspaceRoot, cwd: process.cwd(), color }) + '\n');
  await collector.close();
  await forward?.drain();
  await store.close();
  if (run.signal) return 128 + (signalNumber(run.signal) ?? 1);
  return run.exitCode ?? 1;
}

function signalNumber(sig: string): number | undefined {
  const n = (require('node:os') as typeof import('node:os')).constants.signals[sig as NodeJS.Signals];
  return typeof n === 'number' ? n : undefined;
}

async function cmdServe(p: Parsed): Promise<number> {
  const file = dbPath(p);
  const store = await TraceStore.open({ path: file, log });
  const collector = await Collector.start(store, { port: portOf(p), log });
  describeLock(file, { what: 'runlens serve', endpoint: collector.endpoint });
  process.stdout.write(
    `Runlens collecting OTLP traces at ${collector.endpoint}/v1/traces into ${file}\n` +
      `Point your workflow at it:  OTEL_EXPORTER_OTLP_ENDPOINT=${collector.endpoint}\nCtrl-C to stop.\n`,
  );
  const seen = new Set<string>();
  store.onChange((c) => {
    if (c.type !== 'runs') return;
    for (const id of c.runIds) {
      if (seen.has(id)) continue;
      seen.add(id);
      const run = store.getRun(id);
      if (run) process.stdout.write(`+ run ${run.id}  ${run.name}\n`);
    }
  });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await collector.close();
  await store.close();
  process.stdout.write(`stopped; ${collector.stats.spans} spans received\n`);
  return 0;
}

async function cmdList(p: Parsed): Promise<number> {
  const store = await openForReading(p);
  const limit = p.flags.has('limit') ? Number(p.flags.get('limit')) : 20;
  const runs = store.listRuns({ limit });
  process.stdout.write((p.flags.has('json') ? encodeJson(runs) : formatRunList(runs, process.stdout.isTTY)) + '\n');
  await store.close();
  return 0;
}

function findRun(store: TraceStore, id: string | undefined) {
  if (!id) throw new UsageError('say which run: a run id (or a unique prefix) or "last"');
  const run = store.getRun(id);
  if (!run) throw new UsageError(`no run ${JSON.stringify(id)} in ${store.path ?? 'the database'} (see: runlens list)`);
  return run;
}

async function cmdShow(p: Parsed): Promise<number> {
  const store = await openForReading(p);
  const run = findRun(store, p.positional[0]);
  const spans = store.getSpans(run.id);
  if (p.flags.has('json')) process.stdout.write(encodeJson({ run, spans }) + '\n');
  else {
    const root = findWorkspaceRoot(process.cwd());
    process.stdout.write(formatRunReport(run, spans, { workspaceRoot: root, cwd: run.cwd ?? root, color: process.stdout.isTTY }) + '\n');
  }
  await store.close();
  return 0;
}

async function cmdExport(p: Parsed): Promise<number> {
  const format = p.flags.get('format') ?? 'otlp-json';
  if (format !== 'otlp-json' && format !== 'jaeger-json') throw new UsageError('--format must be otlp-json or jaeger-json');
  const store = await openForReading(p);
  const run = findRun(store, p.positional[0]);
  const spans = store.getSpans(run.id);
  const doc = format === 'otlp-json' ? toOtlpJson(spans) : toJaegerJson(run, spans);
  const text = JSON.stringify(doc, null, 2) + '\n';
  const out = p.flags.get('out');
  if (typeof out === 'string') {
    fs.writeFileSync(out, text);
    log(`wrote ${spans.length} spans of run ${run.id} to ${out}`);
  } else process.stdout.write(text);
  await store.close();
  return 0;
}

async function cmdImport(p: Parsed): Promise<number> {
  if (!p.positional.length) throw new UsageError('runlens import needs a file');
  const store = await TraceStore.open({ path: dbPath(p), log });
  let failed = 0;
  for (const file of p.positional) {
    try {
      const result = importTraceText(fs.readFileSync(file, 'utf8'), file);
      store.apply(result);
      const ids = [...new Set([...result.runs.map((r) => r.id), ...result.spans.map((s) => s.runId)])];
      process.stdout.write(`${file}: ${result.format}, ${result.spans.length} spans → run ${ids.join(', ')}\n`);
    } catch (err) {
      failed++;
      log(`${file}: ${(err as Error).message}`);
    }
  }
  await store.close();
  return failed ? 1 : 0;
}

/** JSON for scripts: bigint times become decimal strings. */
function encodeJson(v: unknown): string {
  return JSON.stringify(JSON.parse(encode(v), (_k, x) => (x && typeof x === 'object' && typeof x['\u0000n'] === 'string' ? x['\u0000n'] : x)), null, 2);
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    const p = parseArgs(args, ['db', 'name', 'port', 'limit', 'format', 'out']);
    switch (command) {
      case 'run':
        return await cmdRun(p);
      case 'serve':
        return await cmdServe(p);
      case 'list':
      case 'ls':
        return await cmdList(p);
      case 'show':
        return await cmdShow(p);
      case 'export':
        return await cmdExport(p);
      case 'import':
        return await cmdImport(p);
      case '--version':
      case 'version':
        process.stdout.write(VERSION + '\n');
        return 0;
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(HELP);
        return 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      log(err.message);
      process.stderr.write('(runlens --help lists the commands)\n');
      return 2;
    }
    if (err instanceof DatabaseLockedError || err instanceof ImportError) {
      log(err.message);
      return 1;
    }
    log((err as Error).stack ?? String(err));
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
