/**
 * JSON with bigint: times travel through the journal and the batch endpoint exactly.
 *
 * A bigint is written as `{"\u0000n": "<digits>"}`. Data can hold any key, including that
 * one, so every object key that starts with U+0000 is escaped by one more U+0000 on the
 * way out and unescaped on the way in: no input value can ever decode as a tag, and every
 * value round-trips exactly. A tag that does not hold a 64-bit integer is an error.
 */
const MARK = '\u0000';
const TAG = '\u0000n';
const MIN = -(1n << 63n);
const MAX = (1n << 64n) - 1n;

const plain = (_k: string, v: unknown) => (typeof v === 'bigint' ? { [TAG]: v.toString() } : v);

function escaping(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return { [TAG]: v.toString() };
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  let marked = false;
  for (const key in v as Record<string, unknown>) if (key.startsWith(MARK)) marked = true;
  if (!marked) return v;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(v as Record<string, unknown>)) out[key.startsWith(MARK) ? MARK + key : key] = value;
  return out;
}

export function encode(value: unknown): string {
  const text = JSON.stringify(value, plain);
  // U+0000 anywhere in the data shows as \u0000 in the text: only then can a key need escaping.
  return text !== undefined && text.includes('"\\u0000') ? JSON.stringify(value, escaping) : text;
}

/** Plain JSON (no bigint) of data whose keys may start with U+0000: the journal's spliced-in attributes. */
export function encodeData(value: unknown): string {
  const text = JSON.stringify(value);
  return text.includes('"\\u0000') ? JSON.stringify(value, escaping) : text;
}

class CodecError extends Error {}

function revive(_k: string, v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  const o = v as Record<string, unknown>;
  if (TAG in o) {
    const digits = o[TAG];
    if (Object.keys(o).length !== 1 || typeof digits !== 'string' || !/^-?\d{1,20}$/.test(digits))
      throw new CodecError('malformed bigint tag');
    const n = BigInt(digits);
    if (n < MIN || n > MAX) throw new CodecError('bigint tag out of 64-bit range');
    return n;
  }
  let marked = false;
  for (const key in o) if (key.startsWith(MARK)) marked = true;
  if (!marked) return v;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(o)) {
    if (!key.startsWith(MARK)) out[key] = value;
    else if (key.startsWith(MARK + MARK)) out[key.slice(1)] = value;
    else throw new CodecError('unescaped U+0000 key');
  }
  return out;
}

export function decode<T = unknown>(text: string): T {
  // Without U+0000 in the text there is neither a tag nor an escaped key to revive.
  return (text.includes('\\u0000') ? JSON.parse(text, revive) : JSON.parse(text)) as T;
}
