/** Loose producer values (JSON lines, imported documents) → model values. */
import type { AttrValue, Attributes } from '../model';

/**
 * A producer's timestamp → epoch ns. Accepts a string of digits (ns), a number (epoch
 * seconds, fractions allowed; values past year 5138 in seconds are taken as ms/µs/ns by
 * magnitude) and ISO-8601 strings. Returns undefined when it is none of those.
 */
export function parseTime(v: unknown): bigint | undefined {
  if (typeof v === 'string') {
    if (/^\d{1,20}$/.test(v)) return BigInt(v);
    const ms = Date.parse(v);
    if (Number.isNaN(ms)) return undefined;
    // Keep sub-millisecond digits that Date.parse drops: "…:05.123456Z".
    const frac = /\.(\d{4,9})(?=Z|[+-]\d|$)/.exec(v);
    const extraNs = frac ? BigInt(frac[1].padEnd(9, '0').slice(3)) : 0n;
    return BigInt(ms) * 1_000_000n + extraNs;
  }
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) {
    if (v < 1e11) return BigInt(Math.round(v * 1e6)) * 1000n; // seconds
    if (v < 1e14) return BigInt(Math.round(v * 1000)) * 1000n; // ms
    if (v < 1e17) return BigInt(Math.round(v)) * 1000n; // µs
    return BigInt(Math.round(v)); // ns (imprecise past 2^53, but that is what was sent)
  }
  return undefined;
}

/** Anything JSON-like → attribute map (non-objects give an empty map). */
export function asAttributes(v: unknown): Attributes {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
  const out: Attributes = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) out[k] = asValue(val);
  return out;
}

function asValue(v: unknown): AttrValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(asValue);
  if (typeof v === 'object') return asAttributes(v);
  return String(v);
}
