/**
 * `runlens` — record and inspect workflow runs from a terminal or CI, into the same
 * database the VS Code extension shows.
 */
import * as fs from 'node:fs';
import { constants as osConstants } from 'node:os';
import * as path from 'node:path';
import { TraceStore, DatabaseLockedError, describeLock, readStoreSecret } from '../core/store/store';
import { Collector } from '../core/collector';
import { launch } from '../core/runner';
import { formatRunList, formatRunReport } from '../core/report';
import { toJaegerJson, toOtlpJson } from '../core/export';
import { ImportError } from '../core/ingest/importers';
import { formatImportReport, importTracePaths } from '../core/ingest/importPlan';
import { forwardChanges, openWriter } from '../core/forward';
import { encode } from '../core/store/codec';
import { findWorkspaceRoot } from '../core/workspace';
import { terminalText } from '../core/terminal';
import type { Run } from '../core/model';
import { isProcessAlive } from '../core/processes';
import { VERSION, HELP, COMMANDS, ALIASES, UsageError, isHelp, parseArgs, quoteArg, dbPath, portOf, limitOf, type Parsed } from './args';

/** A chosen port that is taken: said in one line, exit code 1. */
class PortTakenError extends Error {}

/**
 * Start the collector. The default port may fall back to a free one (the collector says so);
 * a port the user gave must be the one listened on, or this is an error.
 */
async function startCollector(store: TraceStore, p: Parsed): Promise<Collector> {
  const { port, explicit } = portOf(p);
  if (!explicit) return Collector.start(store, { port, log });
  // Hold what the collector says while it starts: its fallback notice is not true here.
  let held: string[] | undefined = [];
  const collector = await Collector.start(store, { port, log: (m) => (held ? held.push(m) : log(m)) });
  const said = held;
  held = undefined;
  if (collector.fellBack) {
    await collector.close();
    throw new PortTakenError(
      `port ${port} (--port) is taken by another process; stop it, pick another port, or use --port 0 for a free one`,
    );
  }
  for (const m of said) log(m);
  return collector;
}

/** Runlens's own messages on stderr. They may quote trace data (a run's name, a file's error): printed as text only. */
const log = (m: string) => process.stderr.write(`runlens: ${terminalText(m, { multiline: true })}\n`);

/** Print a line that carries trace data: without terminal controls. */
const print = (stream: NodeJS.WriteStream, text: string) => stream.write(terminalText(text, { multiline: true }));

/**
 * Colour on a terminal only: never when NO_COLOR is set (non-empty, no-color.org), always
 * when FORCE_COLOR is set (and not 0/false), else when `stream` is a TTY.
 */
function useColor(stream: NodeJS.WriteStream): boolean {
  if (process.env.NO_COLOR) return false;
  const force = process.env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  return stream.isTTY === true;
}

/** A database that is not there, or that this user may not write: one line, exit code 1. */
class StoreAccessError extends Error {}

/**
 * The database a reading command reads (list, show, export): opened read-only, so it reads
 * the file and its journal as they are, takes no lock and writes nothing (no .gitignore, no
 * folder), and works on a folder or file this user may only read. A path given with --db or
 * $RUNLENS_DB that names no database is an error (a typo must not read as "no runs"); the
 * default path of a workspace that has recorded nothing is an empty database.
 */
async function openForReading(p: Parsed): Promise<{ store: TraceStore; file: string }> {
  const file = dbPath(p);
  const there = fs.existsSync(file) || fs.existsSync(`${file}.journal`);
  if (!there && (typeof p.flags.get('db') === 'string' || process.env.RUNLENS_DB)) {
    throw new StoreAccessError(`no trace database at ${file} (check --db or $RUNLENS_DB)`);
  }
  try {
    return { store: await TraceStore.open({ path: file, readOnly: true, log }), file };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') throw new StoreAccessError(`cannot read ${file}: permission denied`);
    throw err;
  }
}

/** What a reading command shows: a run left RUNNING by a process that is gone is INCOMPLETE (the next writer records it so). */
function asSeen(run: Run): Run {
  if (run.status !== 'RUNNING' || !run.owner || isProcessAlive(run.owner) !== false) return run;
  return {
    ...run,
    status: 'INCOMPLETE',
    attributes: {
      ...run.attributes,
      'runlens.incomplete_reason': `the process recording it (pid ${run.owner.pid}) ended without ending the run`,
    },
  };
}

/**
 * Open the database to record into (run, serve). A database this user may not write is said
 * once, in one line, before anything is started.
 */
async function openForWriting(file: string): Promise<TraceStore> {
  try {
    return await TraceStore.open({ path: file, log });
  } catch (err) {
    throw cannotRecord(err, file);
  }
}

/** A permission or read-only-filesystem error while opening to write, as the one line the user needs. */
function cannotRecord(err: unknown, file?: string): unknown {
  const e = err as NodeJS.ErrnoException;
  if (e?.code !== 'EACCES' && e?.code !== 'EPERM' && e?.code !== 'EROFS') return err;
  const target = file ?? e.path;
  if (!target) return err;
  const where = path.dirname(target);
  const why = e.code === 'EROFS' ? 'is on a read-only file system' : 'is not writable by this user';
  return new StoreAccessError(
    `cannot record: ${where} ${why} (${e.code}${e.path ? ` on ${e.path}` : ''}); list, show and export still read it. Pass --db to record elsewhere.`,
  );
}

async function cmdRun(p: Parsed): Promise<number> {
  if (!p.rest.length) throw new UsageError('runlens run needs a command after --, e.g. runlens run -- python3 flow.py', 'run');
  const name = typeof p.flags.get('name') === 'string' ? (p.flags.get('name') as string) : undefined;
  if (name !== undefined && !name.trim()) throw new UsageError('--name must not be empty', 'run');
  portOf(p); // a bad --port is a usage error before anything is opened
  const file = dbPath(p);
  let store: TraceStore;
  let forward: ReturnType<typeof forwardChanges> | undefined;
  try {
    store = await TraceStore.open({ path: file, log });
  } catch (err) {
    if (!(err instanceof DatabaseLockedError) || !err.owner.endpoint) throw cannotRecord(err, file);
    // The database belongs to a live Runlens (VS Code window, serve): record in memory and
    // hand every change to it, so the run shows up there live.
    log(
      `${path.relative(process.cwd(), file) || file} is open in ${err.owner.what ?? `process ${err.owner.pid}`}; sending this run to it at ${err.owner.endpoint}`,
    );
    store = await TraceStore.open({});
    // If that process goes away mid-run, the forwarder hands the run over (see forward.ts).
    forward = forwardChanges(
      store,
      { dbPath: file, endpoint: err.owner.endpoint, token: readStoreSecret(file), selfEndpoint: () => collector?.endpoint },
      log,
    );
  }
  let collector: Collector;
  try {
    collector = await startCollector(store, p);
  } catch (err) {
    await forward?.drain();
    await store.close();
    throw err;
  }
  if (!forward) describeLock(file, { what: 'runlens run', endpoint: collector.endpoint });
  const workspaceRoot = findWorkspaceRoot(process.cwd());
  const running = launch(store, {
    command: p.rest,
    cwd: process.cwd(),
    name,
    endpoint: collector.endpoint,
    stdin: p.flags.has('no-stdin') ? undefined : process.stdin,
  });
  running.onOutput((stream, text) => (stream === 'stdout' ? process.stdout : process.stderr).write(text));
  // Stopping runlens stops the run (CANCELLED) and exits as the shell expects of a command
  // stopped by that signal: Ctrl-C 130, SIGTERM 143, a closed terminal (SIGHUP) 129. SIGKILL
  // cannot be caught: the runner's supervisor stops the workflow's tree then.
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signal === 'SIGHUP') quietOutput(); // the terminal is gone: writing to it fails
    if (stoppedBy === undefined) {
      stoppedBy = signal;
      if (signal === 'SIGINT') log('stopping the run (Ctrl-C again to kill it)…');
      else if (signal !== 'SIGHUP') log(`stopping the run (${signal})…`);
      running.stop(signal);
    } else running.kill(); // asked twice: no more grace
  };
  const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
  const run = await running.done;
  // A second signal while the report is written ends runlens at once, as the user asked.
  for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
  for (const sig of STOP_SIGNALS) process.once(sig, () => process.exit(exitCodeOf(stoppedBy ?? sig)));
  // Late OTLP exports (SDKs flush at exit) arrive just after the process closes its pipes.
  await new Promise((r) => setTimeout(r, 150));
  const spans = store.getSpans(run.id);
  process.stderr.write(
    '\n' +
      formatRunReport(store.getRun(run.id) ?? run, spans, { workspaceRoot, cwd: process.cwd(), color: useColor(process.stderr) }) +
      '\n',
  );
  await collector.close();
  await forward?.drain();
  await store.close();
  if (stoppedBy) return exitCodeOf(stoppedBy);
  if (run.signal) return 128 + (signalNumber(run.signal) ?? 1);
  return run.exitCode ?? 1;
}

/** 128 + the signal's number, as shells report a command stopped by it. */
function exitCodeOf(signal: NodeJS.Signals): number {
  return 128 + (signalNumber(signal) ?? 1);
}

/** Output that cannot be written (a closed terminal, a reader that went away) is dropped, not fatal. */
function quietOutput(): void {
  for (const stream of [process.stdout, process.stderr]) if (!stream.listenerCount('error')) stream.on('error', () => undefined);
}

function signalNumber(sig: string): number | undefined {
  const n = osConstants.signals[sig as NodeJS.Signals];
  return typeof n === 'number' ? n : undefined;
}

async function cmdServe(p: Parsed): Promise<number> {
  const file = dbPath(p);
  portOf(p); // a bad --port is a usage error before anything is opened
  const store = await openForWriting(file);
  let collector: Collector;
  try {
    collector = await startCollector(store, p);
  } catch (err) {
    await store.close();
    throw err;
  }
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
      if (run) print(process.stdout, `+ run ${terminalText(run.id)}  ${terminalText(run.name)}\n`);
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
  const limit = limitOf(p);
  const { store } = await openForReading(p);
  try {
    const runs = store.listRuns({ limit }).map(asSeen);
    process.stdout.write((p.flags.has('json') ? encodeJson(runs) : formatRunList(runs, useColor(process.stdout))) + '\n');
  } finally {
    await store.close();
  }
  return 0;
}

/** The run a command is about: a usage error before the store is opened when none is named. */
function runArgument(p: Parsed): string {
  const id = p.positional[0];
  if (!id) throw new UsageError('say which run: a run id (or a unique prefix) or "last"');
  return id;
}

function findRun(store: TraceStore, id: string, file: string): Run {
  const run = store.getRun(id);
  if (run) return asSeen(run);
  if (id === 'last') throw new StoreAccessError(`no runs recorded yet in ${file}`);
  throw new UsageError(`no run ${JSON.stringify(quoteArg(id))} in ${file} (see: runlens list)`);
}

async function cmdShow(p: Parsed): Promise<number> {
  const id = runArgument(p);
  const { store, file } = await openForReading(p);
  try {
    const run = findRun(store, id, file);
    const spans = store.getSpans(run.id);
    if (p.flags.has('json')) process.stdout.write(encodeJson({ run, spans }) + '\n');
    else {
      const root = findWorkspaceRoot(process.cwd());
      process.stdout.write(
        formatRunReport(run, spans, { workspaceRoot: root, cwd: run.cwd ?? root, color: useColor(process.stdout) }) + '\n',
      );
    }
  } finally {
    await store.close(); // also when the run is not there: no lock left behind
  }
  return 0;
}

async function cmdExport(p: Parsed): Promise<number> {
  const format = p.flags.get('format') ?? 'otlp-json';
  if (format !== 'otlp-json' && format !== 'jaeger-json')
    throw new UsageError(`--format must be otlp-json or jaeger-json, got ${quoteArg(String(format))}`);
  const out = p.flags.get('out');
  if (typeof out === 'string') checkOutFile(out);
  const id = runArgument(p);
  const { store, file } = await openForReading(p);
  let run: ReturnType<typeof findRun>;
  let text: string;
  let spans: ReturnType<TraceStore['getSpans']>;
  try {
    run = findRun(store, id, file);
    spans = store.getSpans(run.id);
    const doc = format === 'otlp-json' ? toOtlpJson(spans, run) : toJaegerJson(run, spans);
    text = escapeC1(JSON.stringify(doc, null, 2)) + '\n';
  } finally {
    await store.close(); // also when the run is not there: no lock left behind
  }
  if (typeof out === 'string') {
    try {
      fs.writeFileSync(out, text);
    } catch (err) {
      log(`cannot write ${out}: ${(err as Error).message}`);
      return 1;
    }
    log(`wrote ${spans.length} spans of run ${run.id} to ${out}`);
  } else process.stdout.write(text);
  return 0;
}

/** --out names a file in a folder that exists (not a folder itself): else a usage error, before any work. */
function checkOutFile(out: string): void {
  if (!out) throw new UsageError('--out needs a file name', 'export');
  const folder = path.dirname(path.resolve(out));
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(folder);
  } catch {
    st = undefined;
  }
  if (!st?.isDirectory()) throw new UsageError(`--out ${quoteArg(out)}: folder ${quoteArg(path.dirname(out))} does not exist`, 'export');
  let target: fs.Stats | undefined;
  try {
    target = fs.statSync(out);
  } catch {
    target = undefined;
  }
  if (target?.isDirectory()) throw new UsageError(`--out ${quoteArg(out)} is a folder; name a file`, 'export');
}

async function cmdImport(p: Parsed): Promise<number> {
  if (!p.positional.length) throw new UsageError('runlens import needs a file');
  const file = dbPath(p);
  // Into the database, or through the Runlens that holds it (a VS Code window, serve, a run);
  // then what is stored already is read from the database itself.
  const { store, forward } = await openWriter(file, { log });
  const view = forward ? await TraceStore.open({ path: file, readOnly: true, log }) : store;
  try {
    const report = importTracePaths(store, p.positional, view);
    // What was imported to stdout, files that could not be imported to stderr.
    formatImportReport(report).forEach((line, i) => print(report.files[i]!.error ? process.stderr : process.stdout, line + '\n'));
    await forward?.drain();
    // Partly imported (unreadable lines, spans refused) or not at all: not a success.
    return report.failed || report.partial || forward?.failed ? 1 : 0;
  } finally {
    if (view !== store) await view.close();
    await store.close();
  }
}

/** JSON for scripts: bigint times become decimal strings. */
function encodeJson(v: unknown): string {
  return escapeC1(
    JSON.stringify(
      JSON.parse(encode(v), (_k, x) => (x && typeof x === 'object' && typeof x['\u0000n'] === 'string' ? x['\u0000n'] : x)),
      null,
      2,
    ),
  );
}

/**
 * JSON.stringify escapes C0 controls but leaves DEL and C1 (U+007F-U+009F) raw, which some
 * terminals act on (0x9b is CSI). Escaped, the JSON means the same and prints as text.
 */
function escapeC1(json: string): string {
  return json.replace(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const RUNNERS: Record<string, (p: Parsed) => Promise<number>> = {
  run: cmdRun,
  serve: cmdServe,
  list: cmdList,
  show: cmdShow,
  export: cmdExport,
  import: cmdImport,
};

export async function main(argv: string[]): Promise<number> {
  const [given, ...args] = argv;
  const command = given !== undefined ? (ALIASES[given] ?? given) : undefined;
  try {
    const spec = command !== undefined ? COMMANDS[command] : undefined;
    const runner = command !== undefined ? RUNNERS[command] : undefined;
    if (command !== undefined && spec && runner) {
      // `<command> --help` prints its usage and does nothing else (flags after -- belong to the workflow).
      const ours = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
      if (ours.some(isHelp)) {
        process.stdout.write(spec.usage);
        return 0;
      }
      return await runner(parseArgs(command, args, spec));
    }
    switch (command) {
      case '--version':
      case 'version':
        if (args[0] !== undefined) throw new UsageError(`unexpected argument ${quoteArg(args[0])}`);
        process.stdout.write(VERSION + '\n');
        return 0;
      case undefined:
      case '-h':
      case '--help':
      case 'help': {
        const topic = args[0] !== undefined ? (ALIASES[args[0]] ?? args[0]) : undefined;
        const topicSpec = topic !== undefined ? COMMANDS[topic] : undefined;
        if (topic !== undefined && !topicSpec) throw new UsageError(`no command ${JSON.stringify(quoteArg(topic))}`);
        process.stdout.write(topicSpec ? topicSpec.usage : HELP);
        return 0;
      }
      default:
        throw new UsageError(`unknown command ${JSON.stringify(quoteArg(command))}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      // One line: what is wrong and where to read more.
      const cmd = err.command ?? (command !== undefined && COMMANDS[command] ? command : undefined);
      const where = cmd ? `runlens ${cmd}` : 'runlens';
      process.stderr.write(`${where}: ${terminalText(err.message)} (${where} --help)\n`);
      return 2;
    }
    if (
      err instanceof DatabaseLockedError ||
      err instanceof ImportError ||
      err instanceof PortTakenError ||
      err instanceof StoreAccessError
    ) {
      log(err.message);
      return 1;
    }
    // A writing command (import included) that may not write the database: the one line that says so.
    const denied = cannotRecord(err);
    if (denied instanceof StoreAccessError) {
      log(denied.message);
      return 1;
    }
    // Unexpected: the message, one line; the stack only when asked for (RUNLENS_DEBUG=1).
    log(process.env.RUNLENS_DEBUG ? ((err as Error).stack ?? String(err)) : err instanceof Error ? err.message : String(err));
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
