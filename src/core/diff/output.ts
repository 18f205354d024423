/**
 * Output lines that appear in only one of two runs, once what differs on every run anyway
 * (times, dates, durations, ids, temporary paths, process ids) is masked. Counts matter: a
 * line printed three times in one run and once in the other is reported twice.
 */
export interface OutputLine {
  stream: string;
  text: string;
}

export interface OutputDiff {
  /** Lines only the baseline printed (as printed, first occurrence). */
  onlyBaseline: OutputLine[];
  /** Lines only this run printed. */
  onlyTarget: OutputLine[];
  /** More lines than the lists hold. */
  omitted: number;
}

const MASKS: [RegExp, string][] = [
  [/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?(Z|[+-]\d{2}:?\d{2})?/g, '<time>'],
  [/\b\d{1,2}:\d{2}:\d{2}([.,]\d+)?\b/g, '<time>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>'],
  [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi, '<id>'],
  [/\b0x[0-9a-f]+\b/gi, '<addr>'],
  [/\b\d+(\.\d+)?\s?(ns|µs|us|ms|s|sec|secs|seconds|m|min)\b/g, '<duration>'],
  [/\b1[5-9]\d{8}(\.\d+)?\b|\b1[5-9]\d{11,17}\b/g, '<epoch>'],
  [/(\/tmp|\/var\/folders|\/private\/var)\/[^\s'"]+/g, '<tmp>'],
  [/\b(pid|PID|process)[ =:]?\d+\b/g, '$1 <pid>'],
  [/\b(port|PORT)[ =:]?\d+\b|127\.0\.0\.1:\d+|localhost:\d+/g, '<port>'],
];

/** The line with per-run noise masked, so equal lines compare equal. */
export function maskNoise(text: string): string {
  let out = text.trim();
  for (const [re, to] of MASKS) out = out.replace(re, to);
  return out;
}

const MAX_LINES = 40;
const MAX_TEXT = 300;

export function diffOutput(baseline: readonly OutputLine[], target: readonly OutputLine[]): OutputDiff {
  const count = (lines: readonly OutputLine[]) => {
    const m = new Map<string, { n: number; first: OutputLine }>();
    for (const l of lines) {
      if (!l.text.trim()) continue;
      const key = `${l.stream}\0${maskNoise(l.text)}`;
      const e = m.get(key);
      if (e) e.n++;
      else m.set(key, { n: 1, first: l });
    }
    return m;
  };
  const a = count(baseline);
  const b = count(target);
  const only = (x: typeof a, y: typeof a, order: readonly OutputLine[]): OutputLine[] => {
    const out: OutputLine[] = [];
    const left = new Map([...x].map(([k, v]) => [k, v.n - (y.get(k)?.n ?? 0)]));
    for (const l of order) {
      const key = `${l.stream}\0${maskNoise(l.text)}`;
      const n = left.get(key) ?? 0;
      if (n <= 0) continue;
      left.set(key, n - 1);
      out.push({ stream: l.stream, text: l.text.length > MAX_TEXT ? `${l.text.slice(0, MAX_TEXT)}…` : l.text });
    }
    return out;
  };
  const onlyBaseline = only(a, b, baseline);
  const onlyTarget = only(b, a, target);
  const omitted = Math.max(0, onlyBaseline.length - MAX_LINES) + Math.max(0, onlyTarget.length - MAX_LINES);
  return { onlyBaseline: onlyBaseline.slice(0, MAX_LINES), onlyTarget: onlyTarget.slice(0, MAX_LINES), omitted };
}
