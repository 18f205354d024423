/**
 * Launch a workflow process as a run: inject the OpenTelemetry/Runlens environment, read
 * its stdout/stderr as JSON lines (span data) and plain output, record how it ended, and
 * stop its whole process tree on request.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import type { Run } from './model';
import { nowNs } from './model';
import { newRunId, newSpanId, newTraceId } from './ids';
import { JsonLinesParser, type JsonLinesResult } from './ingest/jsonl';
import { ParsedOutputRecorder } from './ingest/recorder';
import { RUN_ID_ATTRIBUTE } from './ingest/otlp';
import type { TraceStore } from './store/store';
import { signLaunch } from './launchKey';
import { processIdentity } from './processes';

export interface LaunchOptions {
  command: string[];
  cwd: string;
  /** Extra environment (over the current process's). */
  env?: Record<string, string>;
  name?: string;
  workflow?: string;
  /** Collector base URL to inject (http://127.0.0.1:PORT). Without it only stdout/stderr is traced. */
  endpoint?: string;
  /** Grace period between SIGTERM and SIGKILL when stopping. Default 3 s. */
  killAfterMs?: number;
  /**
   * What the workflow reads as stdin: this stream, piped to it (the CLI passes its own stdin),
   * or nothing (end of file at once). Piped rather than inherited: the workflow runs in its
   * own process group, which may not read the terminal.
   */
  stdin?: NodeJS.ReadableStream;
}


export interface RunningWorkflow {
  readonly runId: string;
  readonly pid: number | undefined;
  /** Plain output, whole lines (span-data lines are recorded, not echoed). */
  onOutput(cb: (stream: 'stdout' | 'stderr', text: string) => void): void;
  /** Stop the process tree: SIGTERM, then SIGKILL after the grace period. */
  stop(): void;
  readonly done: Promise<Run>;
}

/** The environment a launched workflow gets so its traces land in this run. */
export function runEnvironment(
  base: NodeJS.ProcessEnv,
  run: { id: string; traceId: string; rootSpanId: string; name: string },
  endpoint?: string,
  /** The collector's secret, for the JSON-lines helpers that post to /runlens/v1/events. */
  token?: string,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  const resource = `${RUN_ID_ATTRIBUTE}=${encodeURIComponent(run.id)}`;
  env.OTEL_RESOURCE_ATTRIBUTES = env.OTEL_RESOURCE_ATTRIBUTES ? `${env.OTEL_RESOURCE_ATTRIBUTES},${resource}` : resource;
  if (!env.OTEL_SERVICE_NAME) env.OTEL_SERVICE_NAME = run.name;
  env.TRACEPARENT = `00-${run.traceId}-${run.rootSpanId}-01`;
  env.RUNLENS_RUN_ID = run.id;
  env.RUNLENS_STDOUT_CAPTURED = '1';
  if (endpoint) {
    env.OTEL_EXPORTER_OTLP_ENDPOINT = endpoint;
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = `${endpoint}/v1/traces`;
    if (!env.OTEL_EXPORTER_OTLP_PROTOCOL && !env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/protobuf';
    env.RUNLENS_ENDPOINT = endpoint;
    if (token) env.RUNLENS_TOKEN = token;
  }
  // Python buffers stdout when it is a pipe; span events must arrive while the run is going.
  if (!env.PYTHONUNBUFFERED) env.PYTHONUNBUFFERED = '1';
  return env;
}

/** HEAD of the git repository around `cwd`, or undefined (not a repo, no git). */
export function gitCommit(cwd: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['rev-parse', 'HEAD'], { cwd, timeout: 3000 }, (err, stdout) => {
      resolve(err ? undefined : stdout.trim() || undefined);
    });
  });
}

/** The ids a run's processes join: its own id, the trace and the TRACEPARENT parent span. */
export interface RunIdentity {
  id: string;
  traceId: string;
  rootSpanId: string;
  name: string;
}

/**
 * Record a new RUNNING run with fresh ids (launched, debugged or followed): the one place
 * a run that Runlens owns is created, so every such run has a trace and a TRACEPARENT span.
 */
export function beginRun(
  store: TraceStore,
  run: { name: string; workflow?: string; source: 'launch' | 'log'; command?: string[]; cwd?: string; attributes?: Run['attributes'] },
): RunIdentity {
  const ids = { id: newRunId(), traceId: newTraceId(), rootSpanId: newSpanId(), name: run.name };
  const workflow = run.workflow ?? run.name;
  // Only a launch this user's Runlens made itself can be re-run: sign what it starts.
  const launchSignature = run.source === 'launch' && run.command?.length ? signLaunch({ id: ids.id, command: run.command, cwd: run.cwd, workflow }) : undefined;
  store.apply({
    runs: [
      {
        id: ids.id,
        name: run.name,
        status: 'RUNNING',
        source: run.source,
        command: run.command,
        cwd: run.cwd,
        startNs: nowNs(),
        traceId: ids.traceId,
        rootSpanId: ids.rootSpanId,
        workflow,
        attributes: run.attributes ?? {},
        launchSignature,
        // The process recording it: if it dies without ending the run, the run is closed INCOMPLETE.
        owner: processIdentity(),
      },
    ],
    spans: [],
  });
  return ids;
}

export function launch(store: TraceStore, opts: LaunchOptions): RunningWorkflow {
  if (!opts.command.length) throw new Error('no command to run');
  const run = beginRun(store, { name: opts.name ?? defaultName(opts.command), workflow: opts.workflow, source: 'launch', command: opts.command, cwd: opts.cwd });

  const listeners: ((stream: 'stdout' | 'stderr', text: string) => void)[] = [];
  const parser = new JsonLinesParser({ runId: run.id, traceId: run.traceId, rootSpanId: run.rootSpanId });
  const recorder = new ParsedOutputRecorder(store, run.id, (stream, text) => {
    for (const l of listeners) {
      try {
        l(stream, text);
      } catch {
        /* a listener's fault is its own; the run goes on */
      }
    }
  });
  const take = (stream: 'stdout' | 'stderr', result: JsonLinesResult) => recorder.take(stream, result, stream);

  let child: ChildProcess;
  let spawnError: Error | undefined;
  const windows = process.platform === 'win32';
  try {
    child = spawn(opts.command[0], opts.command.slice(1), {
      cwd: opts.cwd,
      env: runEnvironment({ ...process.env, ...opts.env }, run, opts.endpoint, store.secret),
      stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      detached: !windows, // its own process group, so stop() reaches grandchildren
      windowsHide: true,
    });
  } catch (err) {
    spawnError = err as Error;
    child = undefined as never;
  }

  let stopping: NodeJS.Timeout | undefined;
  const killTree = (signal: NodeJS.Signals) => {
    if (!child?.pid) return;
    try {
      if (windows) execFile('taskkill', ['/pid', String(child.pid), '/T', '/F']);
      else process.kill(-child.pid, signal);
    } catch {
      /* already gone */
    }
  };

  const done = new Promise<Run>((resolve) => {
    const finish = (exitCode: number | undefined, signal: string | undefined, error?: Error) => {
      if (stopping) clearTimeout(stopping);
      for (const s of ['stdout', 'stderr'] as const) take(s, parser.finish(s));
      if (error) store.apply({ runs: [{ id: run.id, attributes: { 'runlens.launch_error': error.message } }], spans: [] });
      resolve(store.endRun(run.id, { exitCode, signal }));
    };
    if (spawnError || !child) {
      queueMicrotask(() => finish(127, undefined, spawnError));
      return;
    }
    gitCommit(opts.cwd).then((commit) => {
      if (commit) store.apply({ runs: [{ id: run.id, gitCommit: commit }], spans: [] });
    });
    if (opts.stdin && child.stdin) forwardInput(opts.stdin, child.stdin);
    for (const stream of ['stdout', 'stderr'] as const) {
      const readable = child[stream]!;
      readable.setEncoding('utf8');
      readable.on('data', (text: string) => take(stream, parser.push(text, stream)));
    }
    let launchError: Error | undefined;
    child.on('error', (err) => {
      launchError = err;
      for (const l of listeners) l('stderr', `runlens: cannot start ${opts.command[0]}: ${err.message}\n`);
    });
    // 'close' (not 'exit'): all output has been read by then.
    child.on('close', (code, signal) => {
      // A process that never started reports a negative errno as its code: say 127, as shells do.
      finish(launchError ? 127 : (code ?? undefined), signal ?? undefined, launchError);
    });
  });

  return {
    runId: run.id,
    pid: child?.pid,
    onOutput: (cb) => listeners.push(cb),
    stop: () => {
      if (!child?.pid || child.exitCode !== null || child.signalCode !== null || stopping) return;
      killTree('SIGTERM');
      stopping = setTimeout(() => killTree('SIGKILL'), opts.killAfterMs ?? 3000);
      stopping.unref();
    },
    done,
  };
}

/**
 * Pipe `from` into the workflow's stdin until either ends. The workflow may exit without
 * reading (EPIPE is its choice, not an error), and `from` is let go when the workflow ends so
 * it does not keep this process alive.
 */
function forwardInput(from: NodeJS.ReadableStream, to: NodeJS.WritableStream): void {
  const release = () => {
    from.unpipe(to);
    // A terminal or pipe stdin would otherwise hold the event loop open after the run.
    from.pause();
    const handle = (from as { unref?: () => void }).unref;
    if (typeof handle === 'function') handle.call(from);
  };
  to.on('error', release);
  to.on('close', release);
  from.on('error', () => to.end());
  from.pipe(to);
}

/** `python3 examples/flaky.py --x` → `flaky.py`. */
export function defaultName(command: string[]): string {
  const script = command.slice(1).find((a) => !a.startsWith('-') && /[./\\]/.test(a));
  const base = (script ?? command[0]).split(/[\\/]/).pop() ?? command[0];
  return base || command.join(' ');
}
