/**
 * Span → source location. In order: `code.*` attributes; the deepest workspace frame of the
 * exception stack trace (Python tracebacks with chained sections, V8/Node stacks, Java
 * stacks); nothing (the extension may then search symbols by step name). Path mappings turn
 * container/remote paths into workspace paths. Pure: file system access only through the
 * optional `exists` callback.
 */
import * as path from 'node:path';
import type { Span } from './model';
import { spanException } from './model';

export interface StackFrame {
  file: string;
  line: number;
  column?: number;
  function?: string;
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
    if (frame) return { file: frame.file, line: frame.line, column: frame.column, function: frame.function, via: 'stack', frames: loc.frames };
  }
  return loc;
}

/** Frames are outermost first; the deepest workspace frame is the last one inside the workspace. */
export function deepestWorkspaceFrame(frames: StackFrame[]): StackFrame | undefined {
  for (let i = frames.length - 1; i >= 0; i--) if (frames[i].inWorkspace) return frames[i];
  return undefined;
}

/** Parse any supported stack format into frames, outermost first (the failing frame last). */
export function parseStack(text: string, opts: SourceOptions): StackFrame[] {
  if (/^\s*File "[^"]+", line \d+/m.test(text)) return parsePython(text, opts);
  if (/^\s*at .+\(.+\.java:\d+\)/m.test(text)) return parseJava(text, opts);
  if (/^\s*at .+:\d+(:\d+)?\)?\s*$/m.test(text)) return parseV8(text, opts);
  return [];
}

/**
 * Python tracebacks, including chained ones ("During handling of the above exception…",
 * "The above exception was the direct cause…"). Sections are printed oldest first and the
 * last one is the exception that propagated; frames within a section are outermost first.
 * The result lists the earlier sections' frames first, so the last section's deepest frame
 * is chosen, and earlier sections are the fallback when it has no workspace frame.
 */
function parsePython(text: string, opts: SourceOptions): StackFrame[] {
  const frames: StackFrame[] = [];
  const re = /^\s*File "([^"]+)", line (\d+)(?:, in (.+))?$/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[1].startsWith('<')) continue; // <string>, <frozen importlib._bootstrap>
    frames.push(frame(m[1], Number(m[2]), undefined, m[3]?.trim(), opts));
  }
  return frames;
}

/** V8 stacks list the failing frame first: reversed here to outermost first. */
function parseV8(text: string, opts: SourceOptions): StackFrame[] {
  const frames: StackFrame[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith('at ')) continue;
    let body = line.slice(3).replace(/^async /, '');
    let fn: string | undefined;
    const paren = /^(.*?) \((.*)\)$/.exec(body);
    if (paren) {
      fn = paren[1].replace(/^new /, '');
      body = paren[2];
    }
    const loc = /^(.*?):(\d+)(?::(\d+))?$/.exec(body);
    if (!loc) continue;
    let file = loc[1];
    if (file.startsWith('node:') || file === 'native' || file.startsWith('<anonymous>')) continue;
    if (file.startsWith('file://')) {
      try {
        file = decodeURIComponent(new URL(file).pathname);
      } catch {
        continue;
      }
    }
    frames.push(frame(file, Number(loc[2]), loc[3] ? Number(loc[3]) : undefined, fn, opts));
  }
  return frames.reverse();
}

/** `at pkg.Cls.method(File.java:12)`: the file is found from the package path. */
function parseJava(text: string, opts: SourceOptions): StackFrame[] {
  const frames: StackFrame[] = [];
  const re = /^\s*at ([\w$.<>]+)\.([\w$<>]+)\(([\w$-]+\.(?:java|kt|scala|groovy)):(\d+)\)/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const pkg = m[1].split('.').slice(0, -1).join('/');
    const rel = pkg ? `${pkg}/${m[3]}` : m[3];
    const candidates = ['src/main/java', 'src/main/kotlin', 'src/test/java', 'src', '.'].map((d) => path.join(opts.workspaceRoot, d, rel));
    const found = opts.exists ? candidates.find((c) => opts.exists!(c)) : undefined;
    frames.push({ ...frame(found ?? candidates[0], Number(m[4]), undefined, `${m[1]}.${m[2]}`, opts), inWorkspace: found !== undefined });
  }
  return frames.reverse();
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

export function isWorkspaceFile(file: string, workspaceRoot: string): boolean {
  const rel = path.relative(workspaceRoot, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return false;
  return !/(^|[\\/])(site-packages|dist-packages|node_modules|\.venv|venv)([\\/]|$)/.test(rel);
}
