/**
 * Zip archives of OTLP JSON, as the Aspire dashboard exports telemetry ("Manage logs and
 * telemetry" → Export, or `aspire export`): `traces/<resource>.json` hold OTLP JSON export
 * requests (`resourceSpans`), `structuredlogs/` and `metrics/` OTLP JSON logs and metrics
 * (read, and given to the runs of the spans by importSignals.ts); `consolelogs/` and
 * `resources/` are not OpenTelemetry data: counted and said. Any `.json` entry that is an OTLP
 * export request is read, wherever it is in the archive.
 *
 * Read with Node's zlib (stored and deflated entries, what .NET's ZipArchive writes), bounded:
 * the entries read inflate to at most `maxBytes` in all, each no larger than it declares, each
 * checked against its CRC; ZIP64, encrypted and other compression methods are refused with why.
 */
import * as zlib from 'node:zlib';
import { ImportError, asObject, type ParsedImport } from './importShared';
import { OtherSignals, isOtlpRequest, parseOtlpSpans } from './importOtlp';

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;

/** Whether `bytes` start like a zip archive (a local file header). */
export const isZip = (bytes: Uint8Array): boolean =>
  bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;

interface Entry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  offset: number;
}

function entries(buf: Buffer, label: string): Entry[] {
  const fail = (why: string): never => {
    throw new ImportError(`${label}: not a zip archive Runlens can read (${why})`);
  };
  let end = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === END) {
      end = i;
      break;
    }
  }
  if (end < 0) fail('no end of central directory: the file is cut short or damaged');
  const count = buf.readUInt16LE(end + 10);
  const dirSize = buf.readUInt32LE(end + 12);
  let at = buf.readUInt32LE(end + 16);
  if (count === 0xffff || dirSize === 0xffffffff || at === 0xffffffff) fail('ZIP64 archives are not supported');
  if (at + dirSize > end) fail('its central directory points outside the file');
  const out: Entry[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 46 > end || buf.readUInt32LE(at) !== CENTRAL) fail(`entry ${i + 1} of its central directory is damaged`);
    const nameLength = buf.readUInt16LE(at + 28);
    const entry: Entry = {
      flags: buf.readUInt16LE(at + 8),
      method: buf.readUInt16LE(at + 10),
      crc: buf.readUInt32LE(at + 16),
      compressedSize: buf.readUInt32LE(at + 20),
      size: buf.readUInt32LE(at + 24),
      offset: buf.readUInt32LE(at + 42),
      name: buf.toString('utf8', at + 46, Math.min(end, at + 46 + nameLength)),
    };
    out.push(entry);
    at += 46 + nameLength + buf.readUInt16LE(at + 30) + buf.readUInt16LE(at + 32);
  }
  return out;
}

/** An entry's bytes, inflated, checked; `budget` is what may still be inflated. */
function contentOf(buf: Buffer, e: Entry, budget: number, label: string): Buffer {
  const fail = (why: string): never => {
    throw new ImportError(`${label}: its entry ${e.name} ${why}`);
  };
  if (e.flags & 1) fail('is encrypted');
  if (e.size > budget) fail(`inflates to ${e.size} bytes, more than the ${budget} bytes one import still reads`);
  if (e.offset + 30 > buf.length || buf.readUInt32LE(e.offset) !== LOCAL) fail('is damaged (no local header where the directory says)');
  const start = e.offset + 30 + buf.readUInt16LE(e.offset + 26) + buf.readUInt16LE(e.offset + 28);
  if (start + e.compressedSize > buf.length) fail('is cut short');
  const data = buf.subarray(start, start + e.compressedSize);
  let out: Buffer;
  if (e.method === 0) out = data;
  else if (e.method === 8) {
    try {
      out = zlib.inflateRawSync(data, { maxOutputLength: Math.max(1, e.size) });
    } catch (err) {
      return fail(
        (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE'
          ? `inflates to more than the ${e.size} bytes it declares`
          : `cannot be inflated (${(err as Error).message})`,
      );
    }
  } else return fail(`is compressed with method ${e.method}; only stored (0) and deflate (8) are read`);
  if (out.length !== e.size || zlib.crc32(out) !== e.crc) fail('is damaged (its size or CRC does not match)');
  return out;
}

/** The folders of an Aspire export that hold neither OTLP traces, logs nor metrics. */
const OTHER_FOLDERS: Readonly<Record<string, string>> = { 'consolelogs/': 'console-log', 'resources/': 'resource' };

export function parseTraceArchive(bytes: Uint8Array, label: string, maxBytes: number): ParsedImport {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const all = entries(buf, label).filter((e) => !e.name.endsWith('/'));
  const resourceSpans: unknown[] = [];
  const other = new OtherSignals();
  const notRead = new Map<string, number>();
  const diagnostics: string[] = [];
  let budget = maxBytes;
  for (const e of all) {
    const folder = Object.keys(OTHER_FOLDERS).find((f) => e.name.startsWith(f) || e.name.includes(`/${f}`));
    if (folder || !e.name.toLowerCase().endsWith('.json')) {
      const kind = folder ? OTHER_FOLDERS[folder]! : 'other';
      notRead.set(kind, (notRead.get(kind) ?? 0) + 1);
      continue;
    }
    const content = contentOf(buf, e, budget, label);
    budget -= content.length;
    let o: Record<string, unknown> | undefined;
    try {
      o = asObject(JSON.parse(content.toString('utf8')));
    } catch (err) {
      diagnostics.push(`${e.name}: not JSON (${(err as Error).message})`);
      continue;
    }
    if (!o || !isOtlpRequest(o)) {
      diagnostics.push(`${e.name}: not OTLP JSON (resourceSpans, resourceLogs or resourceMetrics)`);
      continue;
    }
    if (Array.isArray(o.resourceSpans)) for (const rs of o.resourceSpans) resourceSpans.push(rs);
    other.add(o, e.name);
  }
  const skipped = [...notRead].map(([kind, n]) => `${n} ${kind} file${n === 1 ? '' : 's'}`);
  const notices = skipped.length ? [`${skipped.join(', ')} not imported: not OpenTelemetry data`] : [];
  if (!resourceSpans.length) {
    const why = [other.summary(), ...other.problems, ...diagnostics, ...notices].slice(0, 4).join('; ');
    throw new ImportError(
      `${label}: a zip archive without trace files: expected OTLP JSON with resourceSpans, as the Aspire dashboard exports in traces/<resource>.json (${why})`,
    );
  }
  const parsed = parseOtlpSpans(resourceSpans, label, 'otlp-zip', other);
  parsed.diagnostics.push(...diagnostics);
  parsed.notices = [...(parsed.notices ?? []), ...notices];
  return parsed;
}
