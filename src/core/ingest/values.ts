/** Loose producer values (JSON lines, imported documents) → model values. */
import type { AttrValue, Attributes } from '../model';
import { isNanoTime } from '../model';
import { DEFAULT_LIMITS } from '../limits';

/**
 * A producer's timestamp → epoch ns. Accepts a string of digits (ns), a number (epoch
 * seconds, fractions allowed; values past year 5138 in seconds are taken as ms/µs/ns by
 * magnitude) and ISO-8601 strings. Returns undefined when it is none of those.
 */
export function parseTime(v: unknown): bigint | undefined {
  const t = readTime(v);
  // Only times the store can keep exactly (0 … 2262): anything else is "no time".
  return t !== undefined && isNanoTime(t) ? t : undefined;
}

function readTime(v: unknown): bigint | undefined {
  if (typeof v === 'string') {
    if (/^\d{1,20}$/.test(v)) return BigInt(v);
    const ms = Date.parse(v);
    if (Number.isNaN(ms) || ms < 0) return undefined;
    // Keep sub-millisecond digits that Date.parse drops: "…:05.123456Z".
    const frac = /\.(\d{4,9})(?=Z|[+-]\d|$)/.exec(v);
    const extraNs = frac?.[1] ? BigInt(frac[1].padEnd(9, '0').slice(3)) : 0n;
    return BigInt(ms) * 1_000_000n + extraNs;
  }
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) {
    if (v < 1e11) return BigInt(Math.round(v * 1e6)) * 1000n; // seconds
    if (v < 1e14) return BigInt(Math.round(v * 1000)) * 1000n; // ms
    if (v < 1e17) return BigInt(Math.round(v)) * 1000n; // µs
    return v < 2 ** 63 ? BigInt(Math.round(v)) : undefined; // ns (imprecise past 2^53, but that is what was sent)
  }
  return undefined;
}

/**
 * Anything JSON-like → attribute map (non-objects give an empty map). Values nested deeper
 * than the limit are kept as a marker, not followed (a producer's line never overflows the stack).
 */
export function asAttributes(v: unknown, depth = DEFAULT_LIMITS.depth): Attributes {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
  const out: Attributes = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) out[k] = asValue(val, depth);
  return out;
}

function asValue(v: unknown, depth: number): AttrValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'object' && depth <= 0) return '[nested too deep]';
  if (Array.isArray(v)) return v.map((x) => asValue(x, depth - 1));
  if (typeof v === 'object') return asAttributes(v, depth - 1);
  return String(v);
}
