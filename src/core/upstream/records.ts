/**
 * The records of the forward queue's segment files (queue.ts): how one is laid out, written
 * and checked when read back (the files are untrusted then).
 *
 *   magic 'RLQ1' | payload length u32 LE | kind u8 | span count u32 LE | CRC-32 u32 LE | payload
 *
 * The CRC covers the length, kind, count and payload, so a damaged length is caught too.
 */
import * as fs from 'node:fs';
import { crc32 } from 'node:zlib';

const MAGIC = Buffer.from('RLQ1');
export const HEADER = 17;
/** The largest payload a record may hold (the collector's body limit is 32 MiB). */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

/** One record's place and what it holds (the payload is read from the file when sent). */
export interface Entry {
  offset: number;
  length: number;
  kind: number;
  count: number;
}

export function encodeRecord(kind: number, count: number, payload: Uint8Array): Buffer {
  const record = Buffer.allocUnsafe(HEADER + payload.byteLength);
  MAGIC.copy(record, 0);
  record.writeUInt32LE(payload.byteLength, 4);
  record.writeUInt8(kind, 8);
  record.writeUInt32LE(count >>> 0, 9);
  Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).copy(record, HEADER);
  record.writeUInt32LE(checksum(record), 13);
  return record;
}

/** The valid records of a segment's bytes; a damaged region is skipped up to the next record whose checks hold. */
export function scanRecords(buf: Buffer): { entries: Entry[]; skipped: number; regions: number } {
  const entries: Entry[] = [];
  let skipped = 0;
  let regions = 0;
  for (let pos = 0; pos < buf.length;) {
    const e = entryAt(buf, pos);
    if (e) {
      entries.push(e);
      pos += HEADER + e.length;
      continue;
    }
    const again = buf.indexOf(MAGIC, pos + 1);
    const to = again < 0 ? buf.length : again;
    skipped += to - pos;
    regions++;
    pos = to;
  }
  return { entries, skipped, regions };
}

function checksum(record: Buffer): number {
  return crc32(record.subarray(HEADER), crc32(record.subarray(4, 13)));
}

/** The record at `pos` of a segment's bytes when its magic, length and checksum hold. */
function entryAt(buf: Buffer, pos: number): Entry | undefined {
  if (pos + HEADER > buf.length || buf.compare(MAGIC, 0, 4, pos, pos + 4) !== 0) return undefined;
  const length = buf.readUInt32LE(pos + 4);
  if (length > MAX_RECORD_BYTES || pos + HEADER + length > buf.length) return undefined;
  if (checksum(buf.subarray(pos, pos + HEADER + length)) !== buf.readUInt32LE(pos + 13)) return undefined;
  return { offset: pos, length, kind: buf.readUInt8(pos + 8), count: buf.readUInt32LE(pos + 9) };
}

/** A record's payload, read again and checked (the file may have changed since it was scanned). */
export function readRecord(fd: number, e: Entry): Buffer | undefined {
  const buf = Buffer.allocUnsafe(HEADER + e.length);
  let got = 0;
  while (got < buf.length) {
    const n = fs.readSync(fd, buf, got, buf.length - got, e.offset + got);
    if (n === 0) return undefined;
    got += n;
  }
  return entryAt(buf, 0) ? buf.subarray(HEADER) : undefined;
}
