/**
 * Durations and ages as people read them, the same in the runs tree, hovers, CodeLens, the
 * timeline and the CLI. Pure: runs in node and in the webview.
 */

/** `1.50` → `1.5`, `2.00` → `2`: a decimal without trailing zeros. */
export const trimZeros = (s: string): string => (s.includes('.') ? s.replace(/\.?0+$/, '') : s);

/** Whole seconds as hours, minutes (0-59) and seconds (0-59). */
export function hoursMinutesSeconds(totalS: number): { h: number; m: number; s: number } {
  return { h: Math.floor(totalS / 3600), m: Math.floor((totalS % 3600) / 60), s: totalS % 60 };
}

/**
 * A duration: `0.42 ms`, `4.5 ms`, `18 ms`, `1.23 s`, `42.1 s`, `2m 05s`, `1h 02m`; `—` when
 * there is none (null, undefined, NaN, ±Infinity). Minutes and hours never round up into a
 * "60": whole seconds are counted down.
 */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const sign = ms < 0 ? '-' : '';
  const a = Math.abs(ms);
  if (a < 1) return sign + (a === 0 ? '0 ms' : trimZeros(a.toFixed(a < 0.01 ? 4 : 2)) + ' ms');
  if (a < 10) return sign + trimZeros(a.toFixed(2)) + ' ms';
  if (a < 1000) return sign + Math.round(a) + ' ms';
  if (a < 10_000) return sign + (a / 1000).toFixed(2) + ' s';
  if (a < 60_000) return sign + (a / 1000).toFixed(1) + ' s';
  const { h, m, s } = hoursMinutesSeconds(Math.floor(a / 1000));
  const pad = (v: number) => String(v).padStart(2, '0');
  return sign + (h ? `${h}h ${pad(m)}m` : `${m}m ${pad(s)}s`);
}

/** A signed delta: `+1.20 s`, `-35 ms`, `±0 ms`. */
export function formatDelta(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  if (ms === 0) return '±0 ms';
  return (ms > 0 ? '+' : '') + formatDuration(ms);
}

/** How long ago, from an age in ms: `just now` (under 45 s), `1 min ago`, `3 h ago`, `2 d ago`. */
export function formatAge(ageMs: number): string {
  const s = Math.round(ageMs / 1000);
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

/** How long ago an epoch-milliseconds time was (the webview's clock). */
export function relativeTime(epochMs: number, nowMs: number = Date.now()): string {
  return formatAge(nowMs - epochMs);
}

/** How long ago an epoch-nanoseconds time was (the store's clock). */
export function relativeTimeNs(ns: bigint, nowNs: bigint = BigInt(Date.now()) * 1_000_000n): string {
  return formatAge(Number((nowNs - ns) / 1_000_000n));
}
