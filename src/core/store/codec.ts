/** JSON with bigint: times travel through the journal and the batch endpoint exactly. */
const TAG = '\u0000n';

export function encode(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? { [TAG]: v.toString() } : v));
}

export function decode<T = unknown>(text: string): T {
  return JSON.parse(text, (_k, v) => (v && typeof v === 'object' && typeof v[TAG] === 'string' ? BigInt(v[TAG]) : v)) as T;
}
