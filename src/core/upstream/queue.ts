/**
 * The forwarder's on-disk queue: exports waiting for the upstream's acknowledgement, in
 * segment files of one folder, bounded in bytes (the oldest segment is dropped, and counted,
 * when a new export would not fit).
 *
 *   <dir>/seg-000000000001.rlq   records, appended in order
 *   <dir>/cursor.json            {"seq": n, "offset": m}: everything before it was acknowledged
 *
 * A record: magic 'RLQ1', payload length (u32 LE), kind (u8), span count (u32 LE), CRC-32 of
 * the length, kind, count and payload (u32 LE), then the payload (the export's bytes as
 * received). Appending is one write(2) of the whole record before the collector answers the
 * client: once answered, a kill -9 of this process loses nothing (the kernel holds the
 * page); the file is fsynced at most `fsyncMs` later, so only an OS crash or power loss can
 * lose the last second. A record torn by a kill during its own write(2) was never answered.
 *
 * The folder's contents are untrusted when read back: only `seg-<12 digits>.rlq` regular
 * files are read, each within a size bound, every record's magic, length and CRC is checked,
 * and a damaged region (a torn tail, flipped bytes) is skipped up to the next valid record
 * with a warning. A cursor that names no segment or a place inside a record is harmless: the
 * queue starts at the first whole record at or after it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeRecord, HEADER, MAX_RECORD_BYTES, readRecord, scanRecords, type Entry } from './records';

const SEGMENT = /^seg-(\d{12})\.rlq$/;
const CURSOR = 'cursor.json';

export interface QueueOptions {
  dir: string;
  maxBytes: number;
  /** A segment is closed once it holds this much. Default maxBytes/16, between 64 KiB and 8 MiB. */
  segmentBytes?: number;
  /** fsync the segment being written at most this long after an append. Default 1000 ms. */
  fsyncMs?: number;
  log?: (message: string) => void;
}

interface Segment {
  seq: number;
  file: string;
  /** Bytes in the file (what counts against the bound). */
  size: number;
  entries: Entry[];
  /** Index of the first entry not yet acknowledged (the head segment's cursor). */
  next: number;
}

interface QueuedRecord {
  kind: number;
  count: number;
  payload: Buffer;
}

/** Records taken from the head, in order, until acknowledged (ack) or given up (ack too: they are done). */
export interface Batch {
  seq: number;
  from: number;
  to: number;
  records: QueuedRecord[];
  /** Records in the range whose bytes were damaged on disk (skipped, already counted). */
  damaged: number;
}

export interface QueueCounts {
  records: number;
  spans: number;
  bytes: number;
  /** Dropped to stay within the bound (oldest first). */
  droppedRecords: number;
  droppedSpans: number;
  /** Records or regions that failed their checks on disk. */
  damaged: number;
}

export class DiskQueue {
  private readonly segments: Segment[] = [];
  private active: { seg: Segment; fd: number } | undefined;
  private nextSeq = 1;
  private fsyncTimer: NodeJS.Timeout | undefined;
  private inFlight: Batch | undefined;
  private readonly segmentBytes: number;
  readonly counts: QueueCounts = { records: 0, spans: 0, bytes: 0, droppedRecords: 0, droppedSpans: 0, damaged: 0 };

  private constructor(private readonly opts: QueueOptions) {
    this.segmentBytes = opts.segmentBytes ?? Math.max(64 * 1024, Math.min(8 * 1024 * 1024, Math.floor(opts.maxBytes / 16)));
  }

  /** Read what an earlier process left in the folder (creating nothing: the folder is made by the first append). */
  static open(opts: QueueOptions): DiskQueue {
    const q = new DiskQueue(opts);
    let names: string[] = [];
    try {
      names = fs.readdirSync(opts.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const seqs = names
      .map((n) => SEGMENT.exec(n))
      .filter((m) => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    for (const seq of seqs) {
      const seg = q.scan(seq);
      if (seg) q.segments.push(seg);
      q.nextSeq = seq + 1;
    }
    q.applyCursor(names.includes(CURSOR) ? q.readCursor() : undefined);
    q.recount();
    if (q.counts.records) opts.log?.(`forward queue: ${q.counts.records} exports (${q.counts.spans} spans) waiting from before`);
    return q;
  }

  /** Bytes of the folder's segment files (the bounded quantity). */
  get diskBytes(): number {
    return this.segments.reduce((n, s) => n + s.size, 0);
  }

  get isEmpty(): boolean {
    return this.counts.records === 0;
  }

  /**
   * Append one export durably (see the module's comment), dropping the oldest segments when it
   * would not fit. False (and counted as dropped) when the record alone is over the bound.
   */
  append(kind: number, count: number, payload: Uint8Array): boolean {
    const need = HEADER + payload.byteLength;
    if (payload.byteLength > MAX_RECORD_BYTES || need > this.opts.maxBytes) {
      this.dropped(1, count, `an export of ${payload.byteLength} bytes is larger than the forward queue (${this.opts.maxBytes} bytes)`);
      return false;
    }
    if (this.active && this.active.seg.size > 0 && this.active.seg.size + need > this.segmentBytes) this.closeActive();
    while (this.diskBytes + need > this.opts.maxBytes && this.segments.length) this.dropOldest();
    const active = this.active ?? this.openSegment();
    const record = encodeRecord(kind, count, payload);
    let written = 0;
    while (written < need) written += fs.writeSync(active.fd, record, written, need - written, active.seg.size + written);
    active.seg.entries.push({ offset: active.seg.size, length: payload.byteLength, kind, count });
    active.seg.size += need;
    this.counts.records++;
    this.counts.spans += count;
    this.counts.bytes += need;
    this.scheduleFsync();
    return true;
  }

  /** The next records from the head (one segment at most), within `maxBytes` of payload and `maxRecords`. */
  take(maxBytes: number, maxRecords: number): Batch | undefined {
    if (this.inFlight) throw new Error('the forward queue has a batch in flight');
    this.deleteConsumed();
    const seg = this.segments[0];
    if (!seg || seg.next >= seg.entries.length) return undefined;
    const batch: Batch = { seq: seg.seq, from: seg.next, to: seg.next, records: [], damaged: 0 };
    let bytes = 0;
    const fd = this.active?.seg === seg ? this.active.fd : fs.openSync(seg.file, 'r');
    try {
      while (batch.to < seg.entries.length && batch.records.length < maxRecords) {
        const e = seg.entries[batch.to]!;
        if (batch.records.length && bytes + e.length > maxBytes) break;
        batch.to++;
        const record = readRecord(fd, e);
        if (record) {
          bytes += e.length;
          batch.records.push({ kind: e.kind, count: e.count, payload: record });
        } else {
          batch.damaged++;
          this.counts.damaged++;
          this.opts.log?.(`forward queue: a record of ${path.basename(seg.file)} changed on disk since it was written; skipped`);
        }
      }
    } finally {
      if (this.active?.seg !== seg) fs.closeSync(fd);
    }
    this.inFlight = batch;
    return batch;
  }

  /** The batch is done with (sent, or given up): advance the cursor past it, durably. */
  ack(batch: Batch): void {
    if (this.inFlight !== batch) return;
    this.inFlight = undefined;
    const seg = this.segments[0];
    if (!seg || seg.seq !== batch.seq) return; // its segment was dropped meanwhile (counted then)
    for (let i = batch.from; i < batch.to; i++) this.forget(seg.entries[i]!);
    seg.next = batch.to;
    this.deleteConsumed();
    this.writeCursor();
  }

  /** The batch goes back: it is taken again next time (unless its segment was dropped meanwhile: then it is counted dropped). */
  release(batch: Batch): void {
    if (this.inFlight !== batch) return;
    this.inFlight = undefined;
    if (this.segments[0]?.seq === batch.seq) return;
    const spans = batch.records.reduce((n, r) => n + r.count, 0);
    if (batch.records.length)
      this.dropped(batch.records.length, spans, `the forward queue is full (${this.opts.maxBytes} bytes); the oldest go first`);
  }

  /** fsync what was appended and close the files (the queue stays on disk for the next start). */
  close(): void {
    if (this.fsyncTimer) clearTimeout(this.fsyncTimer);
    this.fsyncTimer = undefined;
    if (this.active) this.closeActive(true);
    if (this.inFlight) this.release(this.inFlight);
  }

  private forget(e: Entry): void {
    this.counts.records--;
    this.counts.spans -= e.count;
    this.counts.bytes -= HEADER + e.length;
  }

  private dropped(records: number, spans: number, why: string): void {
    this.counts.droppedRecords += records;
    this.counts.droppedSpans += spans;
    this.opts.log?.(`forward queue: dropped ${records} export${records === 1 ? '' : 's'} (${spans} spans): ${why}`);
  }

  /** Drop the oldest segment to make room; what it held that was not acknowledged nor in flight is counted dropped. */
  private dropOldest(): void {
    const seg = this.segments.shift()!;
    if (this.active?.seg === seg) this.closeActive();
    const flying = this.inFlight?.seq === seg.seq ? this.inFlight : undefined;
    let records = 0;
    let spans = 0;
    seg.entries.forEach((e, i) => {
      if (i < seg.next) return;
      this.forget(e);
      if (flying && i >= flying.from && i < flying.to) return; // still on its way; counted when it lands
      records++;
      spans += e.count;
    });
    if (records) this.dropped(records, spans, `the forward queue is full (${this.opts.maxBytes} bytes); the oldest go first`);
    unlinkQuietly(seg.file);
  }

  /** Remove the head segments whose every record was acknowledged (never the one being written). */
  private deleteConsumed(): void {
    for (let seg = this.segments[0]; seg && seg.next >= seg.entries.length && this.active?.seg !== seg; seg = this.segments[0]) {
      if (this.inFlight?.seq === seg.seq) return;
      this.segments.shift();
      unlinkQuietly(seg.file);
    }
  }

  private openSegment(): { seg: Segment; fd: number } {
    fs.mkdirSync(this.opts.dir, { recursive: true });
    const seq = this.nextSeq++;
    const file = path.join(this.opts.dir, `seg-${String(seq).padStart(12, '0')}.rlq`);
    // 'wx+': a file already there is not ours to append to; read back by the drain.
    const fd = fs.openSync(file, 'wx+', 0o600);
    const seg: Segment = { seq, file, size: 0, entries: [], next: 0 };
    this.segments.push(seg);
    this.active = { seg, fd };
    return this.active;
  }

  /** Close the segment being written; its fsync runs on the thread pool unless `sync` (shutting down). */
  private closeActive(sync = false): void {
    const a = this.active!;
    this.active = undefined;
    if (!sync) return void fs.fsync(a.fd, () => fs.close(a.fd, () => undefined));
    try {
      fs.fsyncSync(a.fd);
    } finally {
      fs.closeSync(a.fd);
    }
  }

  private scheduleFsync(): void {
    if (this.fsyncTimer) return;
    this.fsyncTimer = setTimeout(() => {
      this.fsyncTimer = undefined;
      const fd = this.active?.fd;
      if (fd !== undefined) fs.fsync(fd, () => undefined); // a closed fd (EBADF) was fsynced on close
    }, this.opts.fsyncMs ?? 1000);
    this.fsyncTimer.unref();
  }

  /** A segment left by an earlier process: its valid records, damaged regions skipped with a warning. */
  private scan(seq: number): Segment | undefined {
    const file = path.join(this.opts.dir, `seg-${String(seq).padStart(12, '0')}.rlq`);
    const st = fs.lstatSync(file, { throwIfNoEntry: false });
    if (!st?.isFile()) {
      this.opts.log?.(`forward queue: ${path.basename(file)} is not a regular file; ignored`);
      return undefined;
    }
    // Segments are written 0600 by this user: a file others may write, or that came with a
    // checkout (0644), was not queued here and is not sent anywhere.
    if (process.platform !== 'win32' && ((st.mode & 0o077) !== 0 || (process.getuid && st.uid !== process.getuid()))) {
      this.opts.log?.(`forward queue: ${path.basename(file)} was not written by Runlens for this user (owner or permissions); ignored`);
      return undefined;
    }
    const limit = this.segmentBytes + HEADER + MAX_RECORD_BYTES;
    const size = Math.min(st.size, limit);
    if (st.size > limit)
      this.opts.log?.(`forward queue: ${path.basename(file)} is larger than a segment can be; only its first ${limit} bytes are read`);
    const buf = Buffer.alloc(size);
    const fd = fs.openSync(file, 'r');
    try {
      let got = 0;
      while (got < size) {
        const n = fs.readSync(fd, buf, got, size - got, got);
        if (n === 0) break;
        got += n;
      }
    } finally {
      fs.closeSync(fd);
    }
    const { entries, skipped, regions } = scanRecords(buf);
    if (skipped) {
      this.counts.damaged += regions;
      this.opts.log?.(`forward queue: ${skipped} damaged bytes of ${path.basename(file)} skipped (a torn write or a changed file)`);
    }
    return { seq, file, size: st.size, entries, next: 0 };
  }

  private readCursor(): { seq: number; offset: number } | undefined {
    try {
      const text = fs.readFileSync(path.join(this.opts.dir, CURSOR), 'utf8').slice(0, 200);
      const v = JSON.parse(text) as { seq?: unknown; offset?: unknown };
      if (Number.isSafeInteger(v.seq) && Number.isSafeInteger(v.offset)) return { seq: v.seq as number, offset: v.offset as number };
    } catch {
      // Unreadable: everything still queued is sent (the upstream may see some twice).
    }
    this.opts.log?.('forward queue: its cursor file is unreadable; every queued export is sent again');
    return undefined;
  }

  /** Segments before the cursor's were acknowledged; in its segment, the records before its offset. */
  private applyCursor(cursor: { seq: number; offset: number } | undefined): void {
    if (!cursor) return;
    while (this.segments[0] && this.segments[0].seq < cursor.seq) unlinkQuietly(this.segments.shift()!.file);
    const seg = this.segments[0];
    if (seg?.seq === cursor.seq) while (seg.next < seg.entries.length && seg.entries[seg.next]!.offset < cursor.offset) seg.next++;
  }

  private recount(): void {
    for (const seg of this.segments)
      for (let i = seg.next; i < seg.entries.length; i++) {
        const e = seg.entries[i]!;
        this.counts.records++;
        this.counts.spans += e.count;
        this.counts.bytes += HEADER + e.length;
      }
  }

  private writeCursor(): void {
    const seg = this.segments[0];
    const cursor = seg ? { seq: seg.seq, offset: seg.entries[seg.next]?.offset ?? seg.size } : { seq: this.nextSeq, offset: 0 };
    const file = path.join(this.opts.dir, CURSOR);
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(cursor), { mode: 0o600 });
    fs.renameSync(`${file}.tmp`, file);
  }
}

function unlinkQuietly(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    // Already gone: nothing to do.
  }
}
