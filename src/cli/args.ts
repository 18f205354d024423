/**
 * The CLI's command line: each command's usage and flags, parsing them (before `--`), and
 * the values flags carry (database path, port, limit). Mistakes are UsageErrors (exit code 2).
 */
import * as path from 'node:path';
import { findWorkspaceRoot, DEFAULT_DB } from '../core/workspace';
import { terminalText } from '../core/terminal';
import { isTeamUrl } from '../core/store/pg';
import { DEFAULT_COLLECTOR_PORT } from '../shared/defaults';
import { ForwardEndpointError, tracesUrl } from '../core/upstream/endpoint';
import { DEFAULT_QUEUE_MB } from '../core/upstream/settings';

export const VERSION = '0.1.0';

export const HELP = `runlens ${VERSION} — record and inspect workflow traces

Usage:
  runlens run [--name N] [--input GLOBS] [--db P] [--port N] [--grpc-port N] [--no-stdin] -- <command> [args...]
      Run a command as a traced run: OTLP endpoint and TRACEPARENT injected, JSON-lines
      span events read from its output. Prints the run tree and failed steps with
      file:line, and exits with the command's exit code.
  runlens serve [--port N] [--grpc-port N] [--db P] [--forward URL [--forward-queue-mb N]]
      Collect OTLP (HTTP and gRPC) until Ctrl-C (attach mode); --forward also sends every
      trace to an OpenTelemetry endpoint (OTLP/HTTP), queued on disk while it is down.
  runlens list [--db P] [--limit N] [--json]
  runlens show <runId|last> [--severity L] [--db P] [--json]
  runlens export <runId|last> [--format otlp-json|jaeger-json] [--out FILE] [--db P]
  runlens import <file...> [--db P]     OTLP JSON (or JSON lines, or an Aspire export zip), Jaeger,
      Zipkin v2, Chrome trace events, execution-trace JSON, JSON lines.
  runlens diff <runId|last> [<baseline>|last-success] [--db P] [--json]
      What changed since the run last worked: commit, files, environment names, inputs, the
      first divergent step, slower steps, output. Exits 1 when the run has a new failure.
  runlens mcp [--db P]                  The same answers for AI agents: an MCP server on stdio.
  runlens push <runId|last> --to postgres://… [--db P]
      Publish a run of the workspace database to the team database (idempotent).
  runlens <command> --help              What one command does and the flags it takes.

The database defaults to .runlens/traces.db in the workspace root (the nearest folder
above the current one holding .runlens or .git), or $RUNLENS_DB. A postgres:// URL there
(--db or $RUNLENS_DB) records into and reads from a team database (PostgreSQL) instead; its
password comes from PGPASSWORD, never the command line's history.
Colour: only on a terminal; NO_COLOR turns it off, FORCE_COLOR on.
Run statuses: RUNNING, SUCCESS, PARTIAL (some steps failed), FAILED, CANCELLED (stopped by
the user), INCOMPLETE (the process recording it went away; the reason is kept).
Exit codes: 2 for a usage mistake; 1 when the database cannot be read or written; run exits
with the command's own code, or 130 / 143 / 129 when stopped by Ctrl-C / SIGTERM / a closed
terminal (the whole process tree is stopped and the run recorded CANCELLED).
`;

const DB_FLAG = `  --db P         Trace database (default: .runlens/traces.db in the workspace root, or $RUNLENS_DB),
                 or a team database postgres://user@host:port/db (password: PGPASSWORD).`;

interface CommandSpec {
  usage: string;
  /** Flags that take a value. */
  values: string[];
  /** Flags that take none. */
  switches: string[];
  /** How many positional arguments: [min, max] (the usage says which). */
  positional: [number, number];
}

export const COMMANDS: Record<string, CommandSpec> = {
  run: {
    usage: `Usage: runlens run [--name N] [--input GLOBS] [--db P] [--port N] [--grpc-port N] [--no-stdin] -- <command> [args...]

Runs <command> as a traced run: the OTLP endpoint, TRACEPARENT and the run id are put in its
environment, and JSON-lines span events on its stdout/stderr are recorded. Its output is
passed through; its stdin is this terminal's (or pipe's). Afterwards the run tree and the
failed steps with file:line are printed, and runlens exits with the command's exit code.
Ctrl-C, SIGTERM or closing the terminal stops the command's whole process tree (Ctrl-C twice:
at once) and records the run CANCELLED; runlens then exits 130, 143 or 129. If runlens itself
is killed, the command's process tree is stopped too.

  --name N       Name of the run (default: the script's file name).
  --input GLOBS  Input files the command reads, as glob patterns relative to the current
                 folder, separated by commas (e.g. 'data/*.csv,config.yaml'): their sizes and
                 hashes are recorded with the run, so \`runlens diff\` can say an input changed.
${DB_FLAG}
  --port N       Collector port for the run's OTLP exporters. Default 4318, or a free port
                 when 4318 is taken; a port given here that is taken is an error.
  --grpc-port N  OTLP/gRPC port, for SDKs set to OTEL_EXPORTER_OTLP_PROTOCOL=grpc. Default
                 4317, or a free port when 4317 is taken; one given here must be free.
  --no-stdin     Give the command no stdin (it reads end of file at once).
`,
    values: ['name', 'input', 'db', 'port', 'grpc-port'],
    switches: ['no-stdin'],
    positional: [0, 0],
  },
  serve: {
    usage: `Usage: runlens serve [--port N] [--grpc-port N] [--db P] [--forward URL [--forward-queue-mb N] [--forward-queue DIR]]

Collects OTLP traces, logs and metrics on 127.0.0.1 into the database until Ctrl-C: OTLP/HTTP
on --port, OTLP/gRPC on --grpc-port.

  --port N       Port to listen on. Default 4318, or a free port when 4318 is taken (said
                 so); a port given here that is taken is an error. 0 picks a free port.
  --grpc-port N  OTLP/gRPC port. Default 4317, or a free port when 4317 is taken (said so);
                 a port given here that is taken is an error. 0 picks a free port.
${DB_FLAG}
  --forward URL  Also send every trace export received to this OpenTelemetry endpoint
                 (OTLP/HTTP protobuf; http:// or https://; /v1/traces is appended unless the
                 URL ends with it), with OTLP retries and backoff. Headers come from
                 OTEL_EXPORTER_OTLP_HEADERS / OTEL_EXPORTER_OTLP_TRACES_HEADERS, gzip from
                 OTEL_EXPORTER_OTLP_COMPRESSION=gzip, the timeout from OTEL_EXPORTER_OTLP_TIMEOUT.
                 Logs and metrics are not forwarded.
  --forward-queue-mb N
                 What is not yet acknowledged upstream waits in an on-disk queue of at most
                 N MB (default 256; the oldest is dropped, and counted, when it is full).
  --forward-queue DIR
                 The queue's folder (default: forward-queue beside the database).
`,
    values: ['port', 'grpc-port', 'db', 'forward', 'forward-queue-mb', 'forward-queue'],
    switches: [],
    positional: [0, 0],
  },
  list: {
    usage: `Usage: runlens list [--db P] [--limit N] [--json]

Lists the newest runs: id, status, name, duration, age, spans, exit.

${DB_FLAG}
  --limit N      How many runs (default 20).
  --json         As JSON (times in ns as strings).
`,
    values: ['db', 'limit'],
    switches: ['json'],
    positional: [0, 0],
  },
  show: {
    usage: `Usage: runlens show <runId|last> [--severity L] [--db P] [--json]

Prints one run: its span tree with each step's log records under it, its failed steps with
file:line, the log records of no step, and one line per metric series (points, min, max,
last). <runId> may be a unique prefix of the id; "last" is the newest run.

  --severity L   The least severe log records shown: trace, debug, info (default), warn, error.
${DB_FLAG}
  --json         The run, its spans, log records and metric series as JSON (times in ns as strings).
`,
    values: ['db', 'severity'],
    switches: ['json'],
    positional: [1, 1],
  },
  export: {
    usage: `Usage: runlens export <runId|last> [--format otlp-json|jaeger-json] [--out FILE] [--db P]

Writes one run's spans as OTLP JSON (default) or Jaeger JSON, to FILE or stdout.

  --format F     otlp-json or jaeger-json.
  --out FILE     Write to FILE (its folder must exist) instead of stdout.
${DB_FLAG}
`,
    values: ['format', 'out', 'db'],
    switches: [],
    positional: [1, 1],
  },
  import: {
    usage: `Usage: runlens import <file...> [--db P]

Stores the runs in trace files, each format known by its content:
  OTLP JSON            an export request ({"resourceSpans": …}), as Runlens exports
  OTLP JSON lines      one export request a line (the OpenTelemetry Collector's file exporter)
  Aspire export (zip)  the Aspire dashboard's telemetry export: traces/<resource>.json
  Jaeger JSON          {"data": [trace…]} (the Jaeger UI's JSON download)
  Zipkin v2 JSON       an array of spans, or of traces (Zipkin's /api/v2/traces)
  Chrome trace events  {"traceEvents": […]} or an array of events (chrome://tracing, Perfetto)
  execution trace      an agent orchestrator's execution-trace document
  JSON lines           Runlens span events or structured step logs
Log records and metric points in OTLP files are stored with the runs of their spans.

${DB_FLAG}
`,
    values: ['db'],
    switches: [],
    positional: [1, Infinity],
  },
  diff: {
    usage: `Usage: runlens diff <runId|last> [<baselineId>|last-success] [--db P] [--json]

Says what changed between a run and a baseline — by default the last successful run of the
same workflow before it — likeliest cause first: the commit and the files between, uncommitted
files, environment variables whose value changed (names only: values are never stored), lock
files, runtimes and inputs; then the first divergent step side by side, steps slower than the
p95 of recent successful runs, retries that appeared, and output lines only one run printed.
Exits 1 when the run has a failure the baseline did not (for CI logs), 0 otherwise.

${DB_FLAG}
  --json         The report as JSON (times in ns as strings).
`,
    values: ['db'],
    switches: ['json'],
    positional: [1, 2],
  },
  push: {
    usage: `Usage: runlens push <runId|last> --to postgres://user@host:port/db [--db P]

Publishes one run of the workspace database to the team database: the run, its context
(commit, environment variable names, inputs, who and where), spans, output, log records and
metric points. Pushing again changes nothing (every record is keyed). The password comes from
PGPASSWORD. Never sent: the launch key (a published run cannot be re-run from the team store).

  --to URL       The team database.
${DB_FLAG}
`,
    values: ['db', 'to'],
    switches: [],
    positional: [1, 1],
  },
  mcp: {
    usage: `Usage: runlens mcp [--db P]

Serves the runs to AI agents over the Model Context Protocol on stdin/stdout: tools to list
runs, explain a failure (with its source line), diff two runs and read a step. Read-only; each
answer is bounded and marks trace text as untrusted data. Configure your agent to start
\`npx runlens mcp\` in the workspace.

${DB_FLAG}
`,
    values: ['db'],
    switches: [],
    positional: [0, 0],
  },
};
export const ALIASES: Record<string, string> = { ls: 'list' };

/** A mistake in the command line: one line on stderr, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

export interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
  rest: string[];
}

export const isHelp = (a: string) => a === '--help' || a === '-h';

/** Flags and arguments before `--` (the command after it is not ours to read). */
export function parseArgs(command: string, argv: string[], spec: CommandSpec): Parsed {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  let rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!; // i < argv.length
    if (a === '--') {
      rest = argv.slice(i + 1);
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const k = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const inline = eq < 0 ? undefined : a.slice(eq + 1);
      if (spec.values.includes(k)) {
        const v = inline ?? argv[i + 1];
        if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new UsageError(`--${k} needs a value`, command);
        if (inline === undefined) i++;
        flags.set(k, v);
      } else if (spec.switches.includes(k)) {
        if (inline !== undefined) throw new UsageError(`--${k} takes no value`, command);
        flags.set(k, true);
      } else throw new UsageError(`unknown flag ${flagName(a)}`, command);
    } else if (a.startsWith('-') && a !== '-') {
      throw new UsageError(`unknown flag ${flagName(a)}`, command);
    } else positional.push(a);
  }
  // Too few is for each command to explain (it knows what is missing); too many is said here.
  const max = spec.positional[1];
  if (command === 'run' && positional.length)
    throw new UsageError(`runlens run needs a command after --: runlens run -- ${quoteArg(positional.join(' '))}`, command);
  const extra = positional[max];
  if (extra !== undefined) throw new UsageError(`unexpected argument ${quoteArg(extra)}`, command);
  return { positional, flags, rest };
}

/** `--name=value` → `--name`; anything typed, cut short and printable. */
function flagName(arg: string): string {
  const eq = arg.indexOf('=');
  return quoteArg(eq < 0 ? arg : arg.slice(0, eq));
}

export function quoteArg(arg: string): string {
  const t = terminalText(arg);
  return t.length > 60 ? `${t.slice(0, 60)}…` : t;
}

/** The team database a command uses (--db or $RUNLENS_DB holding a postgres:// URL), or undefined for a file. */
export function teamUrl(p: Parsed): string | undefined {
  const flag = p.flags.get('db');
  const given = typeof flag === 'string' ? flag : process.env.RUNLENS_DB;
  return isTeamUrl(given) ? given : undefined;
}

export function dbPath(p: Parsed): string {
  const flag = p.flags.get('db');
  if (typeof flag === 'string') return path.resolve(flag);
  if (process.env.RUNLENS_DB) return path.resolve(process.env.RUNLENS_DB);
  return path.join(findWorkspaceRoot(process.cwd()), DEFAULT_DB);
}

/** A receiver's port (--port: OTLP/HTTP, --grpc-port), and whether the user chose it (a chosen port that is taken is an error). */
export function portOf(p: Parsed, flag = 'port', fallback = DEFAULT_COLLECTOR_PORT): { port: number; explicit: boolean } {
  const v = p.flags.get(flag);
  if (v === undefined) return { port: fallback, explicit: false };
  const n = typeof v === 'string' && /^\d{1,5}$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`--${flag} must be a port number 0-65535, got ${quoteArg(String(v))}`);
  return { port: n, explicit: true };
}

/** `--forward` and its queue flags (serve), checked before anything is opened; undefined without --forward. */
export function forwardOf(p: Parsed): { endpoint: URL; queueBytes: number; queueDir: string } | undefined {
  const v = p.flags.get('forward');
  for (const flag of ['forward-queue-mb', 'forward-queue'])
    if (v === undefined && p.flags.has(flag)) throw new UsageError(`--${flag} needs --forward`, 'serve');
  if (v === undefined) return undefined;
  let endpoint: URL;
  try {
    endpoint = tracesUrl(String(v));
  } catch (err) {
    if (err instanceof ForwardEndpointError) throw new UsageError(`--forward: ${err.message}`, 'serve');
    throw err;
  }
  const mb = p.flags.get('forward-queue-mb') ?? String(DEFAULT_QUEUE_MB);
  const n = typeof mb === 'string' && /^\d{1,7}$/.test(mb) ? Number(mb) : NaN;
  if (!(n >= 1 && n <= 1_000_000))
    throw new UsageError(`--forward-queue-mb must be a whole number of megabytes (1 or more), got ${quoteArg(String(mb))}`, 'serve');
  const dir = p.flags.get('forward-queue');
  // A team database has no folder of its own here: the queue goes in the workspace's .runlens/.
  const beside = teamUrl(p) ? path.join(findWorkspaceRoot(process.cwd()), path.dirname(DEFAULT_DB)) : path.dirname(dbPath(p));
  const queueDir = typeof dir === 'string' ? path.resolve(dir) : path.join(beside, 'forward-queue');
  return { endpoint, queueBytes: n * 1024 * 1024, queueDir };
}

export function limitOf(p: Parsed): number {
  const v = p.flags.get('limit');
  if (v === undefined) return 20;
  const n = typeof v === 'string' && /^\d{1,9}$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1)) throw new UsageError(`--limit must be a whole number of runs (1 or more), got ${quoteArg(String(v))}`);
  return n;
}

/** The least severity of log records shown (--severity; default info), as an OTLP severity number. */
export function severityOf(p: Parsed): number {
  const v = p.flags.get('severity') ?? 'info';
  const levels: Record<string, number> = { trace: 1, debug: 5, info: 9, warn: 13, error: 17 };
  const n = typeof v === 'string' ? levels[v.toLowerCase()] : undefined;
  if (n === undefined)
    throw new UsageError(`--severity must be one of trace, debug, info, warn, error; got ${quoteArg(String(v))}`, 'show');
  return n;
}
