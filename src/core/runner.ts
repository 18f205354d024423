/**
 * Launch a workflow process as a run: inject the OpenTelemetry/Runlens environment, read
 * its stdout/stderr as JSON lines (span data) and plain output, record how it ended, and
 * stop its whole process tree on request (CANCELLED) or when this process goes (supervise.ts).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import type { Run } from './model';
import { nowNs } from './model';
import { newRunId, newSpanId, newTraceId } from './ids';
import { JsonLinesParser, type JsonLinesResult } from './ingest/jsonl';
import { ParsedOutputRecorder } from './ingest/recorder';
import { RUN_ID_ATTRIBUTE } from './ingest/otlp';
import { pointExporters } from './collector/grpcEndpoints';
import type { Store } from './store/store';
import { signLaunch, userKey } from './launchKey';
import { captureRunContext } from './context/capture';
import { processIdentity } from './processes';
import { superviseSpawn, type Supervised, type SupervisorMessage } from './supervise';

export interface LaunchOptions {
  command: string[];
  cwd: string;
  /** Extra environment (over the current process's). */
  env?: Record<string, string>;
  name?: string;
  workflow?: string;
  /** Collector base URL to inject (http://127.0.0.1:PORT). Without it only stdout/stderr is traced. */
  endpoint?: string;
  /** The OTLP/gRPC receiver (http://127.0.0.1:PORT), for signals the environment sets to protocol `grpc`. */
  grpcEndpoint?: string;
  /** Grace period between SIGTERM and SIGKILL when stopping. Default 3 s. */
  killAfterMs?: number;
  /**
   * What the workflow reads as stdin: this stream, piped to it (the CLI passes its own stdin),
   * or nothing (end of file at once). Piped rather than inherited: the workflow runs in its
   * own process group, which may not read the terminal.
   */
  stdin?: NodeJS.ReadableStream;
  /** Glob patterns of the workflow's input files (its `inputs`), hashed into the run's context. */
  inputs?: readonly string[];
}

export interface RunningWorkflow {
  readonly runId: string;
  /** The workflow's pid (and its process group's id), once it has started. */
  readonly pid: number | undefined;
  /** Plain output, whole lines (span-data lines are recorded, not echoed). */
  onOutput(cb: (stream: 'stdout' | 'stderr', text: string) => void): void;
  /**
   * The user stops the run: `signal` (default SIGTERM; the CLI passes on the SIGINT, SIGTERM
   * or SIGHUP it got) to the whole process tree, then SIGKILL after the grace period. The run
   * ends CANCELLED.
   */
  stop(signal?: NodeJS.Signals): void;
  /** SIGKILL the whole process tree now (a second Ctrl-C); the run ends CANCELLED. */
  kill(): void;
  readonly done: Promise<Run>;
}

/** The environment a launched workflow gets so its traces land in this run. */
export function runEnvironment(
  base: NodeJS.ProcessEnv,
  run: { id: string; traceId: string; rootSpanId: string; name: string },
  endpoint?: string,
  /** The collector's secret, for the JSON-lines helpers that post to /runlens/v1/events. */
  token?: string,
  /** The OTLP/gRPC receiver: signals whose protocol the environment sets to `grpc` go there (grpcEndpoints.ts). */
  grpcEndpoint?: string,
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
    pointExporters(env, endpoint, grpcEndpoint);
    env.RUNLENS_ENDPOINT = endpoint;
    if (token) env.RUNLENS_TOKEN = token;
  }
  // Python buffers stdout when it is a pipe; span events must arrive while the run is going.
  if (!env.PYTHONUNBUFFERED) env.PYTHONUNBUFFERED = '1';
  return env;
}

/** How long a run's end waits for its context to be recorded (captureRunContext bounds each step itself). */
const CONTEXT_WAIT_MS = 10_000;

/**
 * Record what is around the run as it starts (commit, uncommitted files, environment names,
 * runtimes, lock files, inputs: src/core/context). Never fails the run: a context that cannot
 * be taken is left out.
 */
function recordContext(store: Store, runId: string, opts: LaunchOptions, env: Record<string, string | undefined>): Promise<void> {
  let secretKey: Buffer | undefined;
  try {
    secretKey = userKey();
  } catch {
    secretKey = undefined;
  }
  const taken = captureRunContext({ command: opts.command, cwd: opts.cwd, env, inputs: opts.inputs, secretKey }).then(
    (context) => {
      store.apply({ runs: [{ id: runId, context, ...(context.git?.commit ? { gitCommit: context.git.commit } : {}) }], spans: [] });
    },
    () => undefined,
  );
  return Promise.race([taken, new Promise<void>((resolve) => setTimeout(resolve, CONTEXT_WAIT_MS).unref())]);
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
  store: Store,
  run: { name: string; workflow?: string; source: 'launch' | 'log'; command?: string[]; cwd?: string; attributes?: Run['attributes'] },
): RunIdentity {
  const ids = { id: newRunId(), traceId: newTraceId(), rootSpanId: newSpanId(), name: run.name };
  const workflow = run.workflow ?? run.name;
  // Only a launch this user's Runlens made itself can be re-run: sign what it starts.
  const launchSignature =
    run.source === 'launch' && run.command?.length ? signLaunch({ id: ids.id, command: run.command, cwd: run.cwd, workflow }) : undefined;
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

export function launch(store: Store, opts: LaunchOptions): RunningWorkflow {
  const [program, ...programArgs] = opts.command;
  if (program === undefined) throw new Error('no command to run');
  const run = beginRun(store, {
    name: opts.name ?? defaultName(opts.command),
    workflow: opts.workflow,
    source: 'launch',
    command: opts.command,
    cwd: opts.cwd,
  });

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
  const grace = opts.killAfterMs ?? 3000;
  const windows = process.platform === 'win32';
  const userEnv = { ...process.env, ...opts.env };
  const env = runEnvironment(userEnv, run, opts.endpoint, store.secret, opts.grpcEndpoint);
  // Taken before the workflow starts writing: the files it reads are as it found them.
  const context = recordContext(store, run.id, opts, userEnv);

  /** The process spawned here: the supervisor (POSIX), or the workflow itself (Windows). */
  let proc: ChildProcess | undefined;
  let supervised: Supervised | undefined;
  let spawnError: Error | undefined;
  let output: [NodeJS.ReadableStream, NodeJS.ReadableStream] | undefined;
  let input: NodeJS.WritableStream | undefined;
  /** The workflow's pid, which is also its process group's id (POSIX). */
  let workflowPid: number | undefined;
  try {
    if (windows) {
      proc = spawn(program, programArgs, {
        cwd: opts.cwd,
        env,
        stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
        windowsHide: true,
      });
      workflowPid = proc.pid;
      output = [proc.stdout!, proc.stderr!];
      input = proc.stdin ?? undefined;
    } else {
      // Under a supervisor that stops the workflow's process group when this process goes,
      // however it goes (SIGKILL included): see supervise.ts.
      supervised = superviseSpawn({ command: opts.command, cwd: opts.cwd, env, stdin: !!opts.stdin, killAfterMs: grace });
      proc = supervised.process;
      output = [supervised.stdout, supervised.stderr];
      input = opts.stdin ? supervised.stdin : undefined;
    }
  } catch (err) {
    spawnError = err as Error;
  }

  let stopping: NodeJS.Timeout | undefined;
  /** The signal a stop asked for before the workflow's pid was known. */
  let pendingStop: NodeJS.Signals | undefined;
  let cancelled = false;
  let finished = false;
  const killTree = (signal: NodeJS.Signals) => {
    if (!workflowPid) return;
    try {
      if (windows) execFile('taskkill', ['/pid', String(workflowPid), '/T', '/F']);
      else process.kill(-workflowPid, signal);
    } catch {
      /* already gone */
    }
  };

  const done = new Promise<Run>((resolve) => {
    const finish = (exitCode: number | undefined, signal: string | undefined, error?: Error) => {
      if (finished) return;
      finished = true;
      if (stopping) clearTimeout(stopping);
      for (const s of ['stdout', 'stderr'] as const) take(s, parser.finish(s));
      if (error) store.apply({ runs: [{ id: run.id, attributes: { 'runlens.launch_error': error.message } }], spans: [] });
      // Let the supervisor go: it stops what is left of the group (a daemon the workflow left behind) and exits.
      supervised?.control.destroy();
      proc?.unref();
      // The run's context is part of it: `runlens run` exits only once it is recorded.
      const endNs = nowNs();
      void context.then(() => resolve(store.endRun(run.id, { exitCode, signal, cancelled: cancelled || undefined, endNs })));
    };
    if (spawnError || !proc || !output) {
      queueMicrotask(() => finish(127, undefined, spawnError ?? new Error('could not start')));
      return;
    }
    const child = proc;
    if (input) input.on('error', () => undefined);
    if (opts.stdin && input) forwardInput(opts.stdin, input);

    // The run ends when the workflow has exited and its output is read to the end.
    let openStreams = 2;
    let ended: { code?: number; signal?: string; error?: Error } | undefined;
    const settle = () => {
      if (ended && openStreams === 0) finish(ended.error ? 127 : ended.code, ended.signal, ended.error);
    };
    const say = (text: string) => {
      for (const l of listeners) l('stderr', text);
    };
    (['stdout', 'stderr'] as const).forEach((stream, i) => {
      const readable = output![i] as NodeJS.ReadableStream & { setEncoding(e: string): void };
      readable.setEncoding('utf8');
      readable.on('data', (text: string) => take(stream, parser.push(text, stream)));
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        openStreams--;
        settle();
      };
      readable.on('end', close);
      readable.on('close', close);
      readable.on('error', close);
    });

    if (windows) {
      child.on('error', (err) => {
        ended = { error: err };
        say(`runlens: cannot start ${opts.command[0]}: ${err.message}\n`);
        openStreams = 0;
        settle();
      });
      child.on('exit', (code, signal) => {
        ended ??= { code: code ?? undefined, signal: signal ?? undefined };
        settle();
      });
      return;
    }

    const control = supervised!.control;
    control.setEncoding('utf8');
    let pending = '';
    control.on('data', (text: string) => {
      pending += text;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        let msg: SupervisorMessage;
        try {
          msg = JSON.parse(line) as SupervisorMessage;
        } catch {
          continue;
        }
        if ('pid' in msg) {
          workflowPid = msg.pid;
          if (pendingStop) killTree(pendingStop);
        } else if ('exit' in msg) {
          ended ??= { code: msg.exit ?? undefined, signal: msg.signal ?? undefined };
          settle();
        } else if ('error' in msg) {
          const err = new Error(msg.code === 'ENOENT' ? `spawn ${opts.command[0]} ENOENT` : msg.error);
          ended ??= { error: err };
          say(`runlens: cannot start ${opts.command[0]}: ${err.message}\n`);
          settle();
        }
      }
    });
    child.on('error', (err) => {
      // node itself could not be started: nothing ran.
      ended ??= { error: err };
      openStreams = 0;
      settle();
    });
    child.on('exit', (code, signal) => {
      if (ended) return;
      // The supervisor ended without saying how the workflow did (it was killed): stop the
      // workflow's group here, as the supervisor would have.
      const why = signal ? `the Runlens supervisor process was killed (${signal})` : `the Runlens supervisor process exited (${code})`;
      if (workflowPid) killTree('SIGKILL');
      ended = workflowPid ? { signal: 'SIGKILL' } : { error: new Error(why) };
      if (workflowPid) store.apply({ runs: [{ id: run.id, attributes: { 'runlens.launch_error': why } }], spans: [] });
      settle();
    });
  });

  const stop = (signal: NodeJS.Signals = 'SIGTERM') => {
    if (finished || stopping || !proc) return;
    cancelled = true;
    if (workflowPid) killTree(signal);
    else pendingStop = signal;
    stopping = setTimeout(() => killTree('SIGKILL'), grace);
    stopping.unref();
  };

  return {
    runId: run.id,
    get pid() {
      return workflowPid;
    },
    onOutput: (cb) => listeners.push(cb),
    stop,
    kill: () => {
      if (finished || !proc) return;
      cancelled = true;
      if (workflowPid) killTree('SIGKILL');
      else pendingStop = 'SIGKILL';
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
  const base = (script ?? command[0] ?? '').split(/[\\/]/).pop();
  return base || command.join(' ');
}
