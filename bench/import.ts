/**
 * Import (issue 13): `runlens import` of a 100k-span OTLP JSON file as a user runs it (a new
 * process of the built CLI, into a new database), its spans per second beside JSON.parse's
 * rate on the same file (reading the file as UTF-8 included: the floor of any importer), and
 * its peak RSS beside the file's size. Median of 3, a fresh database each time.
 *
 * Targets: import ≥ 0.5 × JSON.parse's rate; peak RSS ≤ 3 × the file size.
 *
 * The file is as large as an import may be: one import takes at most 32 MiB and 100,000
 * spans (src/core/limits.ts, bodyBytes and spansPerRequest), so its spans carry a few
 * attributes (≈ 300 bytes each) instead of the dozen of the ingest bench's requests.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli, writeRssProbe, type Measure } from './cli';
import { median } from './ingest';

const ROOT = path.resolve(__dirname, '..');
const CACHE = path.join(__dirname, '.cache');
const SPANS = 100_000;
const REPS = 3;

/**
 * An OTLP JSON trace file of `spans` spans (one trace, each span's parent ⌊(i-1)/8⌋, a few
 * attributes, every 97th span an error), ≈ 300 bytes a span so 100k fit an import's 32 MiB.
 */
export function otlpTraceFile(spans: number, seed: number, service = 'bench-import') {
  const traceId = (0xbe0000 + seed).toString(16).padStart(32, '0');
  const base = 1_732_000_000_000_000_000n + BigInt(seed) * 1_000_000_000_000n;
  const idOf = (i: number) => (BigInt(seed) * 0x1000000n + BigInt(i) + 1n).toString(16).padStart(16, '0');
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [
          {
            scope: { name: 'bench' },
            spans: Array.from({ length: spans }, (_, i) => ({
              traceId,
              spanId: idOf(i),
              ...(i ? { parentSpanId: idOf(Math.floor((i - 1) / 8)) } : {}),
              name: i ? `step.${i % 17}` : 'workflow',
              startTimeUnixNano: String(base + BigInt(i) * 10_000n),
              endTimeUnixNano: String(base + BigInt(i) * 10_000n + (i ? 9_000n : BigInt(spans) * 10_000n)),
              attributes: [{ key: 'code.lineno', value: { intValue: String(100 + (i % 50)) } }],
              status: { code: i % 97 === 1 ? 2 : 0 },
            })),
          },
        ],
      },
    ],
  };
}

/** The service name of traceFile(spans, seed): its run is labelled `<service>: workflow`. */
export const traceFileService = (spans: number, seed: number): string => `bench import ${spans / 1000}k s${seed}`;

/** The file of `spans` spans, written once into bench/.cache. */
export function traceFile(spans: number, seed = 7): string {
  const file = path.join(CACHE, `otlp-${spans / 1000}k-${seed}.json`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(CACHE, { recursive: true });
    fs.writeFileSync(`${file}.partial`, JSON.stringify(otlpTraceFile(spans, seed, traceFileService(spans, seed))));
    fs.renameSync(`${file}.partial`, file);
  }
  return file;
}

export async function benchImport(): Promise<Record<string, unknown>> {
  writeRssProbe();
  const file = traceFile(SPANS);
  const fileMB = fs.statSync(file).size / 1024 / 1024;
  const parse: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    JSON.parse(fs.readFileSync(file, 'utf8'));
    parse.push(performance.now() - t0);
  }
  const parseMs = median(parse);
  // A process that only starts: what the CLI costs before it reads anything.
  const idle: Measure[] = [];
  for (let r = 0; r < REPS; r++) idle.push(await runCli(['--version'], ROOT));
  const imports: Measure[] = [];
  for (let r = 0; r < REPS; r++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-bench-import-'));
    try {
      imports.push(await runCli(['import', file, '--db', path.join(dir, 'traces.db')], ROOT));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const ms = median(imports.map((m) => m.ms));
  const rssMB = median(imports.map((m) => m.rssMB));
  const idleMs = median(idle.map((m) => m.ms));
  const idleMB = median(idle.map((m) => m.rssMB));
  const rate = SPANS / (ms / 1000);
  const parseRate = SPANS / (parseMs / 1000);
  const speed = rate / parseRate;
  const memory = rssMB / fileMB;
  console.log(
    `import: runlens import of ${SPANS / 1000}k spans (${fileMB.toFixed(1)} MB OTLP JSON): ${ms.toFixed(0)} ms = ${(rate / 1000).toFixed(1)}k spans/s; ` +
      `JSON.parse ${parseMs.toFixed(0)} ms = ${(parseRate / 1000).toFixed(1)}k spans/s; ratio ${speed.toFixed(2)} (target ≥ 0.5): ${speed >= 0.5 ? 'met' : 'NOT met'}`,
  );
  console.log(
    `import: peak RSS ${rssMB.toFixed(0)} MB = ${memory.toFixed(2)} × the file (target ≤ 3): ${memory <= 3 ? 'met' : 'NOT met'}` +
      ` (a CLI process that only starts: ${idleMs.toFixed(0)} ms, ${idleMB.toFixed(0)} MB)`,
  );
  return {
    spans: SPANS,
    fileMB: +fileMB.toFixed(1),
    importMs: Math.round(ms),
    importSpansPerSec: Math.round(rate),
    jsonParseMs: Math.round(parseMs),
    jsonParseSpansPerSec: Math.round(parseRate),
    vsJsonParse: +speed.toFixed(3),
    speedTarget: 0.5,
    speedMet: speed >= 0.5,
    peakRssMB: Math.round(rssMB),
    rssVsFile: +memory.toFixed(2),
    memoryTarget: 3,
    memoryMet: memory <= 3,
    cliStartMs: Math.round(idleMs),
    cliStartRssMB: Math.round(idleMB),
    runs: imports.map((m) => ({ ms: Math.round(m.ms), rssMB: Math.round(m.rssMB) })),
  };
}
