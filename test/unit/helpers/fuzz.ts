import { at } from './fixtures';
/** Seeded mutations of valid input lines, for tests that must hold for any input. */

/** mulberry32: small, fast, good enough to drive mutations reproducibly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seed from RUNLENS_FUZZ_SEED (to replay a failure) or a fresh one; tests print it when they fail. */
function fuzzSeed(): number {
  const fromEnv = Number(process.env.RUNLENS_FUZZ_SEED);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 1 + Math.floor(Math.random() * 2 ** 31);
}

const BIG = '"__fuzz_big__"';
const ODD_VALUES: unknown[] = [
  0,
  -1,
  1.5,
  2 ** 64,
  -(2 ** 63),
  Number.MAX_SAFE_INTEGER,
  '',
  'x',
  'ERROR',
  'start',
  'end',
  'event',
  'step_start',
  'step_end',
  'error',
  '\u001b]0;title\u0007',
  '\u009b2J',
  '9'.repeat(40),
  '-5',
  '2024-13-45T99:99:99Z',
  null,
  true,
  false,
  [],
  {},
  [[[]]],
  { a: { b: [1, 'x', null] } },
  '__fuzz_big__',
  'x'.repeat(5000),
];
const KEYS = [
  'runlens',
  'span_id',
  'parent_id',
  'name',
  'time',
  'status',
  'error',
  'attributes',
  'event',
  'step_name',
  'workflow_id',
  'timestamp',
  'duration_ms',
  'success',
  'attempt',
  'retry',
  'message',
  'trace_id',
  'pipeline_status',
  'started_at',
  'completed_at',
  'steps',
  'trigger',
  'final_error',
  '__proto__',
  'constructor',
];

function mutateValue(v: unknown, rnd: () => number, depth = 0): unknown {
  const pick = <T>(a: T[]): T => at(a, Math.floor(rnd() * a.length));
  if (v && typeof v === 'object' && depth < 4 && rnd() < 0.6) {
    if (Array.isArray(v)) {
      const copy = [...v];
      if (copy.length && rnd() < 0.7) {
        const i = Math.floor(rnd() * copy.length);
        copy[i] = mutateValue(copy[i], rnd, depth + 1);
      } else copy.push(pick(ODD_VALUES));
      return copy;
    }
    const copy: Record<string, unknown> = { ...(v as Record<string, unknown>) };
    const keys = Object.keys(copy);
    const r = rnd();
    if (keys.length && r < 0.6) {
      const k = pick(keys);
      copy[k] = mutateValue(copy[k], rnd, depth + 1);
    } else if (keys.length && r < 0.75) delete copy[pick(keys)];
    else copy[pick(KEYS)] = pick(ODD_VALUES);
    return copy;
  }
  return pick(ODD_VALUES);
}

/**
 * `count` lines, each a valid line of `seeds` mutated once or more: field values replaced by
 * values of other types, keys removed or added, the text cut, or bytes inserted.
 */
export function fuzzLines(seeds: string[], count: number, seed = fuzzSeed()): { lines: string[]; seed: number } {
  const rnd = prng(seed);
  const valid = seeds.map((s) => s.trim()).filter(Boolean);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    let line = at(valid, Math.floor(rnd() * valid.length));
    const rounds = 1 + Math.floor(rnd() * 3);
    for (let j = 0; j < rounds; j++) {
      let obj: unknown;
      try {
        obj = JSON.parse(line);
      } catch {
        obj = undefined;
      }
      const r = rnd();
      if (obj !== undefined && r < 0.75) line = JSON.stringify(mutateValue(obj, rnd)).split(BIG).join('1e400');
      else if (r < 0.85) line = line.slice(0, Math.floor(rnd() * line.length));
      else {
        const at = Math.floor(rnd() * line.length);
        const ch = String.fromCharCode(Math.floor(rnd() * 0xffff));
        line = line.slice(0, at) + ch + line.slice(at);
      }
    }
    lines.push(line.trim() === '{' ? `${line}x` : line);
  }
  return { lines, seed };
}
