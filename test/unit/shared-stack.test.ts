import assert from 'node:assert/strict';
import { parseFrame, parseStack, parseStackLine, stackFrames } from '../../src/shared/stack';

const PYTHON = `Traceback (most recent call last):
  File "/ws/main.py", line 2, in <module>
    nodes.answer()  # see /ws/notes/x.py:9
  File "/ws/pkg/parsing.py", line 4, in parse
    raise ValueError("unbalanced braces")
ValueError: unbalanced braces`;

const NODE = `TypeError: no price
    at toEur (/ws/steps.ts:12:9)
    at async Promise.all (index 0)
    at new Runner (file:///ws/run%20it.mjs:3:1)
    at node:internal/process/task_queues:95:5
    at /ws/main.js:40:2`;

const JAVA = `java.lang.IllegalStateException: bad
\tat com.acme.Flow.validate(Flow.java:12)
\tat com.acme.Flow.main(Flow.java:4)
\tat java.base/java.lang.Thread.run(Thread.java:833)`;

const GO = `panic: runtime error: integer divide by zero

goroutine 1 [running]:
main.divide(0x1?, 0x0?)
\t/ws/cmd/app/main.go:9 +0x1d
main.main()
\t/ws/cmd/app/main.go:14 +0x25
exit status 2`;

describe('shared stack parsing: one line', () => {
  it('finds file and line in Python, Node, Java, Go and plain frames', () => {
    assert.deepEqual(parseStackLine('  File "/work/eval/pipeline.py", line 88, in run_batch'), {
      text: '  File "/work/eval/pipeline.py", line 88, in run_batch',
      file: '/work/eval/pipeline.py',
      line: 88,
    });
    assert.equal(parseStackLine('    at run (/work/src/a b.ts:3:7)').file, '/work/src/a b.ts');
    assert.deepEqual(parseStackLine('    at file:///work/src/x.mjs:9:1'), {
      text: '    at file:///work/src/x.mjs:9:1',
      file: '/work/src/x.mjs',
      line: 9,
      column: 1,
    });
    assert.equal(parseStackLine('\tat com.acme.Job.run(Job.java:42)').line, 42);
    assert.equal(parseStackLine('\t/home/u/go/src/app/main.go:17 +0x1d').file, '/home/u/go/src/app/main.go');
    assert.equal(parseStackLine('error at src/util/io.ts:12:3').line, 12);
    assert.equal(parseStackLine('ValueError: duplicate test ids: t1').file, undefined);
  });

  it('names the function where the trace does', () => {
    assert.equal(parseFrame('  File "/ws/a.py", line 3, in run')?.function, 'run');
    assert.equal(parseFrame('    at new Runner (/ws/a.js:1:2)')?.function, 'Runner');
    assert.deepEqual(parseFrame('\tat com.acme.Flow.validate(Flow.java:12)'), {
      format: 'java',
      file: 'Flow.java',
      line: 12,
      function: 'com.acme.Flow.validate',
      javaPackage: 'com.acme',
    });
    assert.equal(parseFrame('\tat java.base/java.lang.Thread.run(Thread.java:833)')?.javaPackage, 'java.lang');
    assert.equal(parseFrame('\t/ws/main.go:9 +0x1d', 'main.divide(0x1?, 0x0?)')?.function, 'main.divide');
  });

  it('is no frame for runtime internals, unreadable URLs and impossible lines', () => {
    for (const text of [
      '    at node:internal/process/task_queues:95:5',
      '    at internal/main/run_main_module.js:17:47',
      '  File "<frozen importlib._bootstrap>", line 1006, in _find_and_load',
      '  File "<string>", line 1, in <module>',
      '    at eval (eval at <anonymous> (/ws/a.js:1:1), <anonymous>:1:1)',
      '    at file:///ws/%E0%A4%A.js:1:1',
      '    at /ws/a.js:0:1',
    ])
      assert.equal(parseStackLine(text).file, undefined, text);
  });

  it('keeps every line and caps very long traces', () => {
    assert.deepEqual(
      parseStack('a\r\nb\nc', 2).map((l) => l.text),
      ['a', 'b', '… 1 more lines'],
    );
  });
});

describe('shared stack parsing: a whole trace', () => {
  it('lists Python frames outermost first, ignoring paths quoted in source lines', () => {
    assert.deepEqual(
      stackFrames(PYTHON).map((f) => [f.file, f.line, f.function]),
      [
        ['/ws/main.py', 2, '<module>'],
        ['/ws/pkg/parsing.py', 4, 'parse'],
      ],
    );
  });

  it('reverses V8 stacks to outermost first, decoding file URLs and skipping internals', () => {
    assert.deepEqual(
      stackFrames(NODE).map((f) => [f.file, f.line, f.column, f.function]),
      [
        ['/ws/main.js', 40, 2, undefined],
        ['/ws/run it.mjs', 3, 1, 'Runner'],
        ['/ws/steps.ts', 12, 9, 'toEur'],
      ],
    );
  });

  it('reverses JVM stacks, module-prefixed frames included', () => {
    assert.deepEqual(
      stackFrames(JAVA).map((f) => f.function),
      ['java.lang.Thread.run', 'com.acme.Flow.main', 'com.acme.Flow.validate'],
    );
  });

  it("reads a Go panic with each frame's function from the line before", () => {
    assert.deepEqual(
      stackFrames(GO).map((f) => [f.format, f.file, f.line, f.function]),
      [
        ['go', '/ws/cmd/app/main.go', 14, 'main.main'],
        ['go', '/ws/cmd/app/main.go', 9, 'main.divide'],
      ],
    );
  });

  it('falls back to plain paths when the trace has no frames of a known runtime', () => {
    const rust = "thread 'main' panicked at ./src/lib.rs:3:5:\nattempt to divide by zero";
    assert.deepEqual(
      stackFrames(rust).map((f) => [f.format, f.file, f.line, f.column]),
      [['plain', './src/lib.rs', 3, 5]],
    );
    assert.deepEqual(stackFrames('ValueError: nothing here'), []);
  });
});
