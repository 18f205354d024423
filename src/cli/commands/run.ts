/** `runlens run -- <command>`: run a command as a traced run, print its report, exit with its code. */
import { constants as osConstants } from 'node:os';
import * as path from 'node:path';
import { forwardChanges } from '../../core/forward';
import { formatRunReport } from '../../core/report';
import { SEVERITY } from '../../core/signals';
import { launch } from '../../core/runner';
import { DatabaseLockedError, TraceStore, describeLock, readStoreSecret } from '../../core/store/store';
import { findWorkspaceRoot } from '../../core/workspace';
import { UsageError, dbPath, portOf, teamUrl, type Parsed } from '../args';
import { cannotRecord, openTeam } from '../database';
import type { TeamStore } from '../../core/store/pg';
import { log, useColor } from '../output';
import { startCollector, type Receivers } from '../startCollector';

export async function cmdRun(p: Parsed): Promise<number> {
  if (!p.rest.length) throw new UsageError('runlens run needs a command after --, e.g. runlens run -- python3 flow.py', 'run');
  const name = typeof p.flags.get('name') === 'string' ? (p.flags.get('name') as string) : undefined;
  if (name !== undefined && !name.trim()) throw new UsageError('--name must not be empty', 'run');
  // A bad --port or --grpc-port is a usage error before anything is opened.
  portOf(p);
  portOf(p, 'grpc-port');
  const team = teamUrl(p);
  const file = team ?? dbPath(p);
  let store: TraceStore | TeamStore;
  let forward: ReturnType<typeof forwardChanges> | undefined;
  try {
    // A team database (CI, a shared runner) takes this run beside every other writer's.
    store = team ? await openTeam(team) : await TraceStore.open({ path: file, log });
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
      { dbPath: file, endpoint: err.owner.endpoint, token: readStoreSecret(file), selfEndpoint: () => receivers?.collector.endpoint },
      log,
    );
  }
  let receivers: Receivers;
  try {
    receivers = await startCollector(store, p);
  } catch (err) {
    await forward?.drain();
    await store.close();
    throw err;
  }
  const { collector, grpc } = receivers;
  if (!forward && !team) describeLock(file, { what: 'runlens run', endpoint: collector.endpoint });
  const workspaceRoot = findWorkspaceRoot(process.cwd());
  const running = launch(store, {
    command: p.rest,
    cwd: process.cwd(),
    name,
    endpoint: collector.endpoint,
    grpcEndpoint: grpc.endpoint,
    stdin: p.flags.has('no-stdin') ? undefined : process.stdin,
    inputs: inputsOf(p),
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
  // Warnings and errors the workflow logged over OTLP, under their steps (all of them: runlens show --severity).
  const logs = store.getLogs(run.id, { minSeverity: SEVERITY.warn });
  process.stderr.write(
    '\n' +
      formatRunReport(store.getRun(run.id) ?? run, spans, { workspaceRoot, cwd: process.cwd(), color: useColor(process.stderr), logs }) +
      '\n',
  );
  await receivers.close();
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

/** `--input 'data/*.csv,config.yaml'` → the patterns. */
function inputsOf(p: Parsed): string[] | undefined {
  const v = p.flags.get('input');
  if (typeof v !== 'string') return undefined;
  const patterns = v
    .split(',')
    .map((g) => g.trim())
    .filter(Boolean);
  return patterns.length ? patterns : undefined;
}
