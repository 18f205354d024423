/**
 * The durable half of the store. sql.js keeps the database in memory and can only write it
 * out whole (O(database size)), so each acknowledged write is first appended here — one
 * line per record, O(batch size) — and the database file is rewritten only now and then
 * (a snapshot, atomically via temp file + rename), after which the journal starts over.
 *
 * A record is acknowledged once `append` returns: the bytes are in the kernel, so they
 * survive `kill -9` of this process. (Power loss is another matter: `sync()` fsyncs.)
 */
import * as fs from 'node:fs';
import { decode, encode } from './codec';

export interface JournalRecord {
  seq: number;
  op: string;
  [key: string]: unknown;
}

export interface ReplayResult {
  records: JournalRecord[];
  /** Lines that could not be read (each costs only itself; the lines after it are kept). */
  unreadable: number;
  /** Set when the journal had unreadable content: what happened, where a copy was kept. */
  problem?: string;
}

export class Journal {
  private fd: number | undefined;
  private bytes = 0;

  constructor(readonly path: string) {}

  /**
   * Read every complete record. A torn last line (crash mid-write) is dropped; any other
   * unreadable line loses only itself: it is counted, the journal is copied aside once for
   * inspection, and every intact line after it is still replayed.
   */
  replay(readOnly = false): ReplayResult {
    let text: string;
    try {
      text = fs.readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], unreadable: 0 };
      throw err;
    }
    const records: JournalRecord[] = [];
    const lines = text.split('\n');
    const last = lines.pop() ?? ''; // after the final newline: '' unless the last write was torn
    const bad: number[] = [];
    for (let i = 0; i < lines.length; i++) {
      try {
        const rec = decode<JournalRecord>(lines[i]);
        if (!rec || typeof rec !== 'object' || typeof rec.seq !== 'number' || typeof rec.op !== 'string') throw new Error('not a record');
        records.push(rec);
      } catch {
        bad.push(i + 1);
      }
    }
    if (last !== '' && !readOnly) fs.truncateSync(this.path, Buffer.byteLength(text) - Buffer.byteLength(last));
    // What is there counts toward the next snapshot (a store closed right after replaying writes it out).
    this.bytes = Buffer.byteLength(text) - Buffer.byteLength(last);
    if (!bad.length) return { records, unreadable: 0 };
    const where = bad.length > 5 ? `${bad.slice(0, 5).join(', ')}…` : bad.join(', ');
    let problem = `line ${where} of the journal could not be read`;
    if (!readOnly) {
      const aside = `${this.path}.corrupt-${Date.now()}`;
      fs.copyFileSync(this.path, aside);
      problem += `; the journal was copied to ${aside}`;
    }
    return { records, unreadable: bad.length, problem };
  }

  /** Append one record; `preEncoded` fields are inserted as given (already JSON). */
  append(record: JournalRecord, preEncoded?: Record<string, string>): void {
    let line = encode(record);
    if (preEncoded) {
      const extra = Object.entries(preEncoded).map(([k, json]) => `${JSON.stringify(k)}:${json}`);
      line = line.slice(0, -1) + (line.length > 2 ? ',' : '') + extra.join(',') + '}';
    }
    line += '\n';
    if (this.fd === undefined) {
      this.fd = fs.openSync(this.path, 'a');
      this.bytes = fs.fstatSync(this.fd).size;
    }
    const buf = Buffer.from(line);
    let off = 0;
    while (off < buf.length) off += fs.writeSync(this.fd, buf, off);
    this.bytes += buf.length;
  }

  get size(): number {
    return this.bytes;
  }

  sync(): void {
    if (this.fd !== undefined) fs.fsyncSync(this.fd);
  }

  /** Start over after a snapshot has taken in everything written so far. */
  reset(): void {
    this.close();
    fs.writeFileSync(this.path, '');
    this.bytes = 0;
  }

  close(): void {
    if (this.fd !== undefined) {
      fs.closeSync(this.fd);
      this.fd = undefined;
    }
  }
}
