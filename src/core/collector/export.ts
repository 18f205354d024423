/**
 * Storing one OTLP export, whatever carried it (OTLP/HTTP routes, the OTLP/gRPC receiver):
 * the one place the per-request limit, deferral and partial success are decided.
 */
import type { IngestBatch } from '../model';
import type { Store } from '../store/types';
import { HttpError, type CollectorStats } from './route';

/** What an export left out: records refused by the decoder or the store, and why. */
export interface Refused {
  rejected: number;
  rejectMessage?: string;
}

/**
 * One export's records (spans, log records, metric points) into the store, whatever carried
 * them (OTLP/HTTP, OTLP/gRPC): refused whole when it holds more than `limit.max` (HttpError
 * 413; the gRPC receiver answers INVALID_ARGUMENT), acknowledged once journalled (the rows are
 * written right after, off the request path). Returns what was refused in all, the decoder's
 * refusals (`batch.rejected`) and the store's.
 */
export function exportRecords(
  store: Store,
  batch: IngestBatch & Refused,
  count: number,
  limit: { max: number; what: string },
  stats: CollectorStats,
): Refused {
  if (count > limit.max) throw new HttpError(413, `${count} ${limit.what} in one request; the limit is ${limit.max}`);
  const stored = store.apply(batch, { defer: true });
  const rejected = batch.rejected + stored.rejected;
  const rejectMessage = [batch.rejectMessage, stored.rejectMessage].filter(Boolean).join('; ') || undefined;
  stats.rejected += rejected;
  return { rejected, rejectMessage };
}
