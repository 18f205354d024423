/** JSON with bigint: times travel through the journal and the batch endpoint exactly. */
const TAG = '\u0000n';

export function encode(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? { [TAG]: v.toString() } : v));
}

export function decode<T = unknown>(text: string): T {
  return JSON.parse(text, (_k, v) => (v && typeof v === 'object' && typeof v[TAG] === 'string' ? BigInt(v[TAG]) : v)) as T;
}

/**
 * The same encoding as `encode` for spans, without a replacer call per key (the hot path:
 * every ingested span is journalled). Only the known bigint fields are converted.
 */
export function encodeSpanList(spans: readonly { startNs: bigint; endNs?: bigint; events: readonly { timeNs: bigint }[] }[]): string {
  const tag = (v: bigint) => ({ [TAG]: v.toString() });
  return JSON.stringify(
    spans.map((s) => ({
      ...s,
      startNs: tag(s.startNs),
      endNs: s.endNs === undefined ? undefined : tag(s.endNs),
      events: s.events.length ? s.events.map((e) => ({ ...e, timeNs: tag(e.timeNs) })) : s.events,
    })),
  );
}
