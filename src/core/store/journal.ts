/**
 * The durable half of the store. sql.js keeps the database in memory and can only write it
 * out whole (O(database size)), so each acknowledged write is first appended here — one
 * line per record, O(batch size) — and the database file is rewritten only now and then
 * (a snapshot, atomically via temp file + rename), after which the journal starts over.
 *
 * A record is acknowledged once `append` returns: the bytes are in the kernel, so they
 * survive `kill -9` of this process. (Power loss is another matter: `sync()` fsyncs.)
 *
 * A snapshot written in the background first rotates the journal: what was written before
 * moves to `<path>.1` (kept until the snapshot's files are all written), new records go to a
 * fresh `<path>`. Replay reads `<path>.1`, then `<path>`.
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
    const older = this.replayFile(this.rotatedPath, readOnly, false);
    const current = this.replayFile(this.path, readOnly, true);
    return {
      records: [...older.records, ...current.records],
      unreadable: older.unreadable + current.unreadable,
      problem: [older.problem, current.problem].filter(Boolean).join('; ') || undefined,
    };
  }

  get rotatedPath(): string {
    return `${this.path}.1`;
  }

  private replayFile(file: string, readOnly: boolean, current: boolean): ReplayResult {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], unreadable: 0 };
      throw err;
    }
    const records: JournalRecord[] = [];
    const lines = text.split('\n');
    const last = lines.pop() ?? ''; // after the final newline: '' unless the last write was torn
    const bad: number[] = [];
    for (const [i, line] of lines.entries()) {
      try {
        const rec = decode<JournalRecord>(line);
        if (!rec || typeof rec !== 'object' || typeof rec.seq !== 'number' || typeof rec.op !== 'string') throw new Error('not a record');
        records.push(rec);
      } catch {
        bad.push(i + 1);
      }
    }
    if (last !== '' && !readOnly) fs.truncateSync(file, Buffer.byteLength(text) - Buffer.byteLength(last));
    // What is there counts toward the next snapshot (a store closed right after replaying writes it out).
    this.bytes += Buffer.byteLength(text) - Buffer.byteLength(last);
    if (!bad.length) return { records, unreadable: 0 };
    const where = bad.length > 5 ? `${bad.slice(0, 5).join(', ')}…` : bad.join(', ');
    let problem = `line ${where} of the journal${current ? '' : ' (.1)'} could not be read`;
    if (!readOnly) {
      const aside = `${file}.corrupt-${Date.now()}`;
      fs.copyFileSync(file, aside);
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
    fs.rmSync(this.rotatedPath, { force: true });
    this.bytes = 0;
  }

  /**
   * Move what is written so far aside (`<path>.1`) and go on in a fresh file: a snapshot
   * being written in the background covers the records moved aside, not those after.
   * Only one rotation at a time: false when the previous one is still kept.
   */
  rotate(): boolean {
    if (fs.existsSync(this.rotatedPath)) return false;
    this.close();
    try {
      fs.renameSync(this.path, this.rotatedPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    fs.writeFileSync(this.path, '');
    this.bytes = 0;
    return true;
  }

  /** The snapshot covering the rotated records is written: they are no longer needed. */
  dropRotated(): void {
    fs.rmSync(this.rotatedPath, { force: true });
  }

  close(): void {
    if (this.fd !== undefined) {
      fs.closeSync(this.fd);
      this.fd = undefined;
    }
  }
}
