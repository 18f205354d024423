/**
 * Span → source location. In order: `code.*` attributes; the deepest workspace frame of the
 * exception stack trace (every format src/shared/stack.ts reads: Python with chained
 * sections, V8/Node, JVM, Go, plain paths); nothing (the extension may then search symbols by step name). Path mappings turn
 * container/remote paths into workspace paths. Pure: file system access only through the
 * optional `exists` callback.
 */
import * as path from 'node:path';
import type { Span } from './model';
import { spanException } from './model';
import { stackFrames, type ParsedFrame } from '../shared/stack';

/** A frame of src/shared/stack.ts with its path mapped into the workspace. */
export interface StackFrame extends Pick<ParsedFrame, 'file' | 'line' | 'column' | 'function'> {
  /** Inside the workspace and not in site-packages / node_modules. */
  inWorkspace: boolean;
}

export interface SourceLocation {
  file: string;
  line: number;
  column?: number;
  function?: string;
  via: 'attribute' | 'stack' | 'symbol';
  /** The parsed stack (outermost first), for display and related information. */
  frames?: StackFrame[];
}

export interface SourceOptions {
  workspaceRoot: string;
  /** Prefix → replacement, e.g. `{ "/app/src": "${workspaceFolder}/src" }`. */
  pathMappings?: Record<string, string>;
  /** Directory relative paths are resolved against (the run's cwd). Default: workspaceRoot. */
  cwd?: string;
  /** Used to pick among candidate paths (Java frames name only the file). */
  exists?: (file: string) => boolean;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const int = (v: unknown): number | undefined => {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : undefined;
};

export function resolveSource(span: Span, opts: SourceOptions): SourceLocation | undefined {
  const a = span.attributes;
  const ex = spanException(span);
  const frames = ex?.stacktrace ? parseStack(ex.stacktrace, opts) : [];
  const file = str(a['code.filepath']) ?? str(a['code.file.path']);
  const line = int(a['code.lineno']) ?? int(a['code.line.number']);
  if (file && line) {
    return {
      file: mapPath(file, opts),
      line,
      column: int(a['code.column']) ?? int(a['code.column.number']),
      function: str(a['code.function']) ?? str(a['code.function.name']),
      via: 'attribute',
      frames: frames.length ? frames : undefined,
    };
  }
  const frame = deepestWorkspaceFrame(frames);
  if (frame) return { file: frame.file, line: frame.line, column: frame.column, function: frame.function, via: 'stack', frames };
  return undefined;
}

/**
 * The frame where a failure happened: for a failing span the exception's deepest workspace
 * frame is better than the `code.*` attributes (which name the step function, not the line
 * that raised). Use for failures; `resolveSource` for "where is this step".
 */
export function resolveFailure(span: Span, opts: SourceOptions): SourceLocation | undefined {
  const loc = resolveSource(span, opts);
  if (loc?.via === 'attribute' && loc.frames) {
    const frame = deepestWorkspaceFrame(loc.frames);
    if (frame)
      return { file: frame.file, line: frame.line, column: frame.column, function: frame.function, via: 'stack', frames: loc.frames };
  }
  return loc;
}

/** Frames are outermost first; the deepest workspace frame is the last one inside the workspace. */
function deepestWorkspaceFrame(frames: StackFrame[]): StackFrame | undefined {
  for (let i = frames.length - 1; i >= 0; i--) if (frames[i]?.inWorkspace) return frames[i];
  return undefined;
}

/**
 * Parse a stack trace into frames, outermost first (the failing frame last): the formats and
 * their order are src/shared/stack.ts's; here paths are mapped into the workspace and JVM
 * files are found from their package path.
 */
export function parseStack(text: string, opts: SourceOptions): StackFrame[] {
  return stackFrames(text).map((f) => (f.format === 'java' ? javaFrame(f, opts) : frame(f.file, f.line, f.column, f.function, opts)));
}

/** `at pkg.Cls.method(File.java:12)` names only the file: it is looked for under the usual source roots. */
function javaFrame(f: ParsedFrame, opts: SourceOptions): StackFrame {
  const pkg = (f.javaPackage ?? '').split('.').filter(Boolean).join('/');
  const rel = pkg ? `${pkg}/${f.file}` : f.file;
  const candidates = ['src/main/java', 'src/main/kotlin', 'src/test/java', 'src', '.'].map((d) => path.join(opts.workspaceRoot, d, rel));
  const found = opts.exists ? candidates.find((c) => opts.exists!(c)) : undefined;
  // Not found: the first root's path (Maven/Gradle's), as a guess that still names the file.
  return { ...frame(found ?? candidates[0]!, f.line, undefined, f.function, opts), inWorkspace: found !== undefined };
}

function frame(file: string, line: number, column: number | undefined, fn: string | undefined, opts: SourceOptions): StackFrame {
  const mapped = mapPath(file, opts);
  return { file: mapped, line, column, function: fn, inWorkspace: isWorkspaceFile(mapped, opts.workspaceRoot) };
}

/** Apply path mappings (longest prefix first) and make relative paths absolute. */
export function mapPath(file: string, opts: SourceOptions): string {
  let out = file;
  const mappings = Object.entries(opts.pathMappings ?? {}).sort((a, b) => b[0].length - a[0].length);
  for (const [from, to] of mappings) {
    const prefix = from.replace(/[\\/]+$/, '');
    if (out === prefix || out.startsWith(prefix + '/') || out.startsWith(prefix + '\\')) {
      out = to.replace(/\$\{workspaceFolder\}/g, opts.workspaceRoot).replace(/[\\/]+$/, '') + out.slice(prefix.length);
      break;
    }
  }
  return path.isAbsolute(out) ? path.normalize(out) : path.resolve(opts.cwd ?? opts.workspaceRoot, out);
}

function isWorkspaceFile(file: string, workspaceRoot: string): boolean {
  const rel = path.relative(workspaceRoot, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return false;
  return !/(^|[\\/])(site-packages|dist-packages|node_modules|\.venv|venv)([\\/]|$)/.test(rel);
}
