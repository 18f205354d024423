/**
 * Stack traces → frames, one parser for every runtime: the core resolves a failure's source
 * line with `stackFrames`, the timeline's detail panel links each line with `parseStack`.
 * Knows Python (`File "x.py", line 3, in f`, chained tracebacks), V8/Node (`at f (x.js:3:7)`,
 * `at x.js:3:7`, async, `file://` URLs), Java and other JVM languages (`at a.B.c(B.java:3)`,
 * with or without a module prefix), Go (`\t/x/y.go:3 +0x1d`, the function on the line before)
 * and plain `path/file.ext:line[:col]` anywhere in a line. Runtime-internal frames (`node:…`,
 * `internal/…`, `<string>`, `<anonymous>`, `native`) are not frames. Pure: no file system;
 * the core maps paths and finds JVM files from their package.
 */

type StackFormat = 'python' | 'java' | 'v8' | 'go' | 'plain';

/** One frame as the trace wrote it (paths unmapped, possibly relative). */
export interface ParsedFrame {
  format: StackFormat;
  file: string;
  line: number;
  column?: number;
  function?: string;
  /** JVM frames: the class's package (`com.acme`), from which the file's path follows. */
  javaPackage?: string;
}

/** A line of a stack trace for display, with its frame's location when it has one. */
export interface StackLine {
  text: string;
  file?: string;
  line?: number;
  column?: number;
}

const PY = /^\s*File "([^"]+)", line (\d+)(?:, in (.+?))?\s*$/;
const JAVA = /^\s*at (?:[\w.$-]+(?:@[\w.-]+)?\/)?([\w$.<>]+)\.([\w$<>]+)\(([\w$-]+\.(?:java|kt|scala|groovy)):(\d+)\)/;
const V8_PAREN = /^(.*?) \((.*)\)$/;
const V8_LOC = /^(.*?):(\d+)(?::(\d+))?$/;
const GO = /^\s+((?:[A-Za-z]:)?[\\/][^\s:]+\.go):(\d+)(?: \+0x[0-9a-f]+)?\s*$/;
const PLAIN = /(?:^|\s)((?:[A-Za-z]:)?[\w.~\\/-]*[\\/][\w.-]+\.\w+):(\d+)(?::(\d+))?\b/;
const INTERNAL = /^(?:node:|internal\/|<|native$)/;

function lineNo(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

function fileOf(raw: string): string | undefined {
  let file = raw;
  if (file.startsWith('file://')) {
    try {
      file = decodeURIComponent(file.slice('file://'.length));
    } catch {
      return undefined;
    }
  }
  return file && !INTERNAL.test(file) ? file : undefined;
}

function make(format: StackFormat, rawFile: string, rawLine: string, rawColumn?: string, fn?: string): ParsedFrame | undefined {
  const file = fileOf(rawFile);
  const line = lineNo(rawLine);
  if (file === undefined || line === undefined) return undefined;
  const f: ParsedFrame = { format, file, line };
  const column = lineNo(rawColumn);
  if (column !== undefined) f.column = column;
  if (fn) f.function = fn;
  return f;
}

function v8Frame(text: string): ParsedFrame | undefined {
  const t = text.trim();
  if (!t.startsWith('at ')) return undefined;
  let body = t.slice(3).replace(/^async /, '');
  let fn: string | undefined;
  const paren = V8_PAREN.exec(body);
  if (paren) {
    fn = paren[1]!.replace(/^new /, '');
    body = paren[2]!;
  }
  if (body.startsWith('eval at ')) return undefined;
  const loc = V8_LOC.exec(body);
  return loc ? make('v8', loc[1]!, loc[2]!, loc[3], fn) : undefined;
}

/** The frame one line of a trace names, if any. `previous` is the line before (Go names its function there). */
export function parseFrame(text: string, previous?: string): ParsedFrame | undefined {
  let m = PY.exec(text);
  if (m) return make('python', m[1]!, m[2]!, undefined, m[3]);
  m = JAVA.exec(text);
  if (m) {
    const cls = m[1]!;
    const f = make('java', m[3]!, m[4]!, undefined, `${cls}.${m[2]!}`);
    if (f) f.javaPackage = cls.split('.').slice(0, -1).join('.');
    return f;
  }
  const v8 = v8Frame(text);
  if (v8) return v8;
  m = GO.exec(text);
  if (m) {
    const fn = previous?.trim().replace(/\(.*\)$/, '');
    return make('go', m[1]!, m[2]!, undefined, fn && !/\s/.test(fn) ? fn : undefined);
  }
  m = PLAIN.exec(text);
  return m ? make('plain', m[1]!, m[2]!, m[3]) : undefined;
}

/** One line for display: its text, and where it points when it names a frame. */
export function parseStackLine(text: string): StackLine {
  const f = parseFrame(text);
  if (!f) return { text };
  return f.column === undefined ? { text, file: f.file, line: f.line } : { text, file: f.file, line: f.line, column: f.column };
}

/** Every line of a trace for display (the first `maxLines`, then a line saying how many more). */
export function parseStack(stack: string, maxLines = 500): StackLine[] {
  const lines = stack.replace(/\r\n?/g, '\n').split('\n');
  const out = lines.slice(0, maxLines).map(parseStackLine);
  if (lines.length > maxLines) out.push({ text: `… ${lines.length - maxLines} more lines` });
  return out;
}

/** Which format a trace is in when it holds several kinds of frame: the first present wins. */
const PRECEDENCE: readonly StackFormat[] = ['python', 'java', 'v8', 'go', 'plain'];

/**
 * The frames of a trace, outermost first (the failing frame last), in the trace's own format
 * only (a Python traceback's quoted source lines are not frames). Python prints outermost
 * first and chained sections oldest first, so its order is kept (the propagated exception's
 * frames come last); V8, JVM, Go and plain traces print the failing frame first and are
 * reversed.
 */
export function stackFrames(stack: string): ParsedFrame[] {
  const byFormat = new Map<StackFormat, ParsedFrame[]>();
  const lines = stack.replace(/\r\n?/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const f = parseFrame(lines[i]!, lines[i - 1]);
    if (!f) continue;
    const list = byFormat.get(f.format);
    if (list) list.push(f);
    else byFormat.set(f.format, [f]);
  }
  const format = PRECEDENCE.find((p) => byFormat.has(p));
  if (!format) return [];
  const frames = byFormat.get(format)!;
  return format === 'python' ? frames : frames.reverse();
}
