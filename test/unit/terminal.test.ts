/**
 * Trace text never drives the terminal: the sanitizer on its own, then the real CLI on a
 * store whose names, messages, paths, attributes and output carry escape sequences.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TraceStore } from '../../src/core/store/store';
import type { Span } from '../../src/core/model';
import { terminalText } from '../../src/core/terminal';
import { buildCli, runCli } from './helpers/cli';
import { tempDir } from './helpers/fixtures';

/** Anything a terminal acts on: ESC, BEL, other C0 controls but \n, DEL, C1 controls. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
const SGR = /\u001b\[[0-9;]*m/g;

describe('terminal text', () => {
  it('removes OSC title and clipboard sequences, whatever ends them', () => {
    assert.equal(terminalText('a\u001b]0;TITLE\u0007b\u001b]52;c;Y2xpcA==\u001b\\c\u009d0;x\u009cd'), 'abcd');
    assert.equal(terminalText('before\u001b]8;;http://evil\u0007link\u001b]8;;\u0007 after'), 'beforelink after');
    assert.equal(terminalText('unterminated \u001b]0;TITLE'), 'unterminated ');
  });

  it('removes CSI (7- and 8-bit), DCS, APC and two-byte ESC sequences', () => {
    assert.equal(terminalText('\u001b[2J\u001b[1;31mred\u001b[0m \u009b2Kx'), 'red x');
    assert.equal(terminalText('\u001bP1$r0m\u001b\\\u001b_apc\u001b\\\u001bcreset\u001b(Bok'), 'resetok');
    assert.equal(terminalText('cursor\u001b[?25l hidden'), 'cursor hidden');
  });

  it('removes other C0/C1 controls and bidi overrides; tabs become spaces; lines join unless multiline', () => {
    assert.equal(terminalText('a\u0000b\u0008c\u007fd\u0085e\u202ef'), 'abcdef');
    assert.equal(terminalText('a\tb\r\nc\rd\ne'), 'a b c d e');
    assert.equal(terminalText('a\tb\r\nc\u001b[2Jd', { multiline: true }), 'a b\ncd');
  });

  it('leaves printable text, including non-Latin scripts and emoji, as it is', () => {
    const s = 'résumé — 検索 ✓ 🚀 [x] {"a": 1}';
    assert.equal(terminalText(s), s);
  });
});

const EVIL = {
  title: '\u001b]0;TITLE\u0007',
  clipboard: '\u001b]52;c;cm0gLXJmIH4=\u0007',
  clear: '\u001b[2J\u001b[H',
  c1: '\u009b31m\u009d0;t\u009c',
  bel: '\u0007',
};
const ALL = Object.values(EVIL).join('');

describe('runlens CLI prints trace text without terminal controls', function () {
  this.timeout(60_000);
  let dir: string;
  let runId: string;
  before(async () => {
    buildCli();
    dir = tempDir();
    fs.mkdirSync(path.join(dir, '.git'));
    const store = await TraceStore.open({ path: path.join(dir, '.runlens', 'traces.db') });
    runId = 'rterminal0000001';
    const traceId = 'a'.repeat(32);
    const t0 = 1_700_000_000_000_000_000n;
    const span = (n: number, over: Partial<Span>): Span => ({
      runId,
      traceId,
      spanId: n.toString(16).padStart(16, '0'),
      name: `span-${n}`,
      kind: 1,
      startNs: t0 + BigInt(n) * 1000n,
      endNs: t0 + BigInt(n) * 1000n + 500n,
      status: 'OK',
      attributes: {},
      events: [],
      ...over,
    });
    store.apply({
      runs: [
        {
          id: runId,
          name: `nightly${ALL}-run`,
          status: 'RUNNING',
          source: 'import',
          startNs: t0,
          traceId,
          attributes: { note: `x${ALL}y` },
          workflow: `wf${ALL}`,
        },
      ],
      spans: [
        span(1, { name: `step${EVIL.title}${EVIL.clipboard}-one`, attributes: { 'code.filepath': `/w/a${ALL}.py`, 'code.lineno': 3 } }),
        span(2, {
          parentSpanId: (1).toString(16).padStart(16, '0'),
          name: `fail${EVIL.clear}-two`,
          status: 'ERROR',
          statusLabel: `BLOCKED${EVIL.c1}`,
          statusMessage: `boom${ALL}`,
          events: [
            {
              name: 'exception',
              timeNs: t0 + 2500n,
              attributes: {
                'exception.type': `Value${EVIL.title}Error`,
                'exception.message': `bad${EVIL.clipboard} value\nsecond line`,
                'exception.stacktrace': `Traceback (most recent call last):\n  File "${dir}/src/fl${EVIL.clear}ow.py", line 7, in run\nValueError: bad`,
              },
            },
          ],
        }),
        span(3, { name: `hung${EVIL.c1}`, status: 'RUNNING', endNs: undefined }),
      ],
    });
    store.appendOutput(runId, 'stdout', [`printed ${ALL} by the workflow`]);
    store.endRun(runId, { exitCode: 1, signal: undefined });
    await store.close();
    fs.writeFileSync(
      path.join(dir, 'bad-trace.json'),
      JSON.stringify({ trace_id: 't', pipeline_status: 'SUCCESS', started_at: `2024${ALL}`, steps: [] }),
    );
  });

  const commands: [string, string[]][] = [
    ['list', ['list']],
    ['show', ['show', 'last']],
    ['show --json', ['show', 'last', '--json']],
    ['list --json', ['list', '--json']],
    ['export otlp-json to stdout', ['export', 'last', '--format', 'otlp-json']],
    ['export jaeger-json to stdout', ['export', 'last', '--format', 'jaeger-json']],
    ['import of a file whose error quotes the data', ['import', 'bad-trace.json', '--db', 'other.db']],
  ];
  for (const [what, args] of commands) {
    it(`${what}: no ESC, BEL or C1 byte from the data reaches stdout or stderr`, async () => {
      const r = await runCli(args, dir);
      for (const [name, text] of [
        ['stdout', r.stdout],
        ['stderr', r.stderr],
      ] as const) {
        const m = CONTROL.exec(text);
        assert.equal(
          m,
          null,
          `${what}: ${name} has ${JSON.stringify(m?.[0])} at ${m?.index}: ${JSON.stringify(text.slice(Math.max(0, (m?.index ?? 0) - 40), (m?.index ?? 0) + 40))}`,
        );
      }
    });
  }

  it('show: the text around the escapes is still there, each name on its own line', async () => {
    const r = await runCli(['show', 'last'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /nightly-run/);
    assert.match(r.stdout, /├─ ✓ step-one|└─ ✓ step-one/);
    assert.match(r.stdout, /✗ fail-two \[BLOCKED\]/);
    assert.match(r.stdout, /ValueError: bad value second line/, 'a message stays on its line');
  });

  it('keeps its own colours when colour is forced, and only those', async () => {
    const r = await runCli(['show', 'last'], dir, { env: { FORCE_COLOR: '1' } });
    assert.match(r.stdout, SGR, 'Runlens colours its statuses');
    const rest = r.stdout.replace(SGR, '');
    assert.equal(CONTROL.exec(rest), null, JSON.stringify(rest));
  });
});
