/**
 * Stack-trace lines → frames with a file and line, for the detail panel's links. Knows
 * Python (`File "x.py", line 3, in f`), V8/Node (`at f (x.js:3:7)`), Java (`at a.B.c(B.java:3)`),
 * Go (`\t/x/y.go:3 +0x1d`) and plain `path:line[:col]`. DOM-free and unit-tested.
 */
export interface StackLine {
  text: string;
  file?: string;
  line?: number;
  column?: number;
}

const PY = /^\s*File "([^"]+)", line (\d+)/;
const V8_PAREN = /^\s*at (?:.*?) \((.+?):(\d+)(?::(\d+))?\)\s*$/;
const V8_BARE = /^\s*at (?:async )?((?:file:\/\/)?(?:[A-Za-z]:)?[^\s():]+(?:[\\/][^\s():]+)*):(\d+)(?::(\d+))?\s*$/;
const JAVA = /^\s*at [\w$.<>]+\(([\w$-]+\.(?:java|kt|scala|groovy)):(\d+)\)/;
const GO = /^\s+((?:[A-Za-z]:)?[\\/][^\s:]+\.go):(\d+)(?: \+0x[0-9a-f]+)?\s*$/;
const PLAIN = /(?:^|\s)((?:[A-Za-z]:)?[\w.~\\/-]*[\\/][\w.-]+\.\w+):(\d+)(?::(\d+))?\b/;

export function parseStackLine(text: string): StackLine {
  for (const re of [PY, V8_PAREN, V8_BARE, JAVA, GO, PLAIN]) {
    const m = re.exec(text);
    if (!m) continue;
    let file = m[1]!;
    if (file.startsWith('file://')) file = decodeURIComponent(file.slice('file://'.length));
    if (/^(?:node:|native|<anonymous>|internal\/)/.test(file)) return { text };
    const line = Number(m[2]);
    const column = m[3] ? Number(m[3]) : undefined;
    if (!Number.isSafeInteger(line)) return { text };
    return column === undefined ? { text, file, line } : { text, file, line, column };
  }
  return { text };
}

export function parseStack(stack: string, maxLines = 500): StackLine[] {
  const lines = stack.replace(/\r\n?/g, '\n').split('\n');
  const out = lines.slice(0, maxLines).map(parseStackLine);
  if (lines.length > maxLines) out.push({ text: `… ${lines.length - maxLines} more lines` });
  return out;
}
