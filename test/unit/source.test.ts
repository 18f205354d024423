import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveSource, resolveFailure, parseStack, mapPath } from '../../src/core/source';
import type { Span } from '../../src/core/model';
import { tempDir } from './helpers/fixtures';

/** Write files into a fresh workspace and return its root. */
function workspace(files: Record<string, string>): string {
  const root = tempDir('runlens-src-');
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

/** Run a program that must fail and return the traceback/stack it printed. */
function failingOutput(cmd: string, args: string[], cwd: string): string {
  try {
    execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    return String((err as { stderr: Buffer }).stderr);
  }
  throw new Error(`${cmd} ${args.join(' ')} did not fail`);
}

const lineOf = (file: string, marker: string) =>
  fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(marker)) + 1;

function spanWith(attrs: Span['attributes'], stacktrace?: string): Span {
  return {
    runId: 'r',
    traceId: 'a'.repeat(32),
    spanId: 'b'.repeat(16),
    name: 'step',
    kind: 1,
    startNs: 1n,
    endNs: 2n,
    status: stacktrace ? 'ERROR' : 'OK',
    attributes: attrs,
    events: stacktrace
      ? [{ name: 'exception', timeNs: 2n, attributes: { 'exception.type': 'E', 'exception.stacktrace': stacktrace } }]
      : [],
  };
}

describe('source resolution', () => {
  it('uses code.* attributes first, old and new semantic-convention names alike', () => {
    const root = '/ws';
    assert.deepEqual(
      resolveSource(spanWith({ 'code.filepath': 'app/flow.py', 'code.lineno': 12, 'code.function': 'run' }), { workspaceRoot: root }),
      {
        file: '/ws/app/flow.py',
        line: 12,
        column: undefined,
        function: 'run',
        via: 'attribute',
        frames: undefined,
      },
    );
    const loc = resolveSource(spanWith({ 'code.file.path': '/ws/x.ts', 'code.line.number': '7', 'code.function.name': 'go' }), {
      workspaceRoot: root,
    });
    assert.equal(loc?.line, 7);
    assert.equal(loc?.function, 'go');
  });

  it('finds the deepest workspace frame of a real Python traceback across three files', () => {
    const root = workspace({
      'main.py': 'from pkg import nodes\nnodes.answer()  # call-answer\n',
      'pkg/__init__.py': '',
      'pkg/nodes.py': 'from pkg import parsing\ndef answer():\n    return parsing.parse("{")  # call-parse\n',
      'pkg/parsing.py':
        'import json\ndef parse(text):\n    if text == "{":\n        raise ValueError("unbalanced braces")  # raise-here\n    return json.loads(text)\n',
    });
    const tb = failingOutput('python3', ['main.py'], root);
    const loc = resolveSource(spanWith({}, tb), { workspaceRoot: root })!;
    assert.equal(loc.via, 'stack');
    assert.equal(loc.file, path.join(root, 'pkg', 'parsing.py'));
    assert.equal(loc.line, lineOf(path.join(root, 'pkg', 'parsing.py'), 'raise-here'));
    assert.equal(loc.function, 'parse');
    assert.deepEqual(
      loc.frames!.map((f) => path.basename(f.file)),
      ['main.py', 'nodes.py', 'parsing.py'],
    );
  });

  it('takes the frame of the exception that propagated from a chained Python traceback ("During handling…", "direct cause")', () => {
    for (const [name, handler] of [
      ['during', '    except KeyError:\n        raise RuntimeError("lookup failed")  # final-raise\n'],
      ['cause', '    except KeyError as e:\n        raise RuntimeError("lookup failed") from e  # final-raise\n'],
    ]) {
      const root = workspace({
        'flow.py': `def lookup(d):\n    return d["missing"]  # first-raise\ndef run():\n    try:\n        lookup({})\n${handler}run()\n`,
      });
      const tb = failingOutput('python3', ['flow.py'], root);
      assert.match(tb, name === 'during' ? /During handling of the above exception/ : /direct cause/);
      const loc = resolveSource(spanWith({}, tb), { workspaceRoot: root })!;
      assert.equal(loc.line, lineOf(path.join(root, 'flow.py'), 'final-raise'), name);
    }
  });

  it('never picks a site-packages frame when a workspace frame exists', () => {
    const root = workspace({
      'flow.py': 'import sys\nsys.path.insert(0, ".venv/lib/python3.11/site-packages")\nimport lib\nlib.call(lambda: 1 / 0)  # user-line\n',
      '.venv/lib/python3.11/site-packages/lib.py': 'def call(fn):\n    return fn()\n',
    });
    const tb = failingOutput('python3', ['flow.py'], root);
    const loc = resolveSource(spanWith({}, tb), { workspaceRoot: root })!;
    assert.equal(path.basename(loc.file), 'flow.py');
    assert.equal(loc.line, lineOf(path.join(root, 'flow.py'), 'user-line'));
    assert.ok(
      loc.frames!.some((f) => f.file.includes('site-packages') && !f.inWorkspace),
      'library frames are kept for display',
    );
  });

  it('reads a real Node stack, ESM file:// URLs and async frames, skipping node internals and node_modules', () => {
    const root = workspace({
      'node_modules/dep/index.js': 'exports.run = async (fn) => { await null; return fn(); };\n',
      'app.mjs':
        "import { createRequire } from 'node:module';\nconst dep = createRequire(import.meta.url)('dep');\nasync function step() {\n  await null;\n  throw new TypeError('no price');  // throw-here\n}\nawait dep.run(step);\n",
    });
    const stack = failingOutput(process.execPath, ['app.mjs'], root);
    assert.match(stack, /file:\/\//);
    const loc = resolveSource(spanWith({}, stack), { workspaceRoot: root })!;
    assert.equal(loc.file, path.join(root, 'app.mjs'));
    assert.equal(loc.line, lineOf(path.join(root, 'app.mjs'), 'throw-here'));
    assert.equal(loc.column, 9);
  });

  it('reads Java-style frames and finds the file from the package path', () => {
    const root = workspace({ 'src/main/java/com/acme/Flow.java': 'class Flow {}\n' });
    const stack =
      'java.lang.IllegalStateException: bad\n\tat com.acme.Flow.validate(Flow.java:12)\n\tat com.acme.Flow.main(Flow.java:4)\n\tat java.base/java.lang.Thread.run(Thread.java:833)\n';
    const frames = parseStack(stack, { workspaceRoot: root, exists: fs.existsSync });
    const loc = resolveSource(spanWith({}, stack), { workspaceRoot: root, exists: fs.existsSync })!;
    assert.equal(loc.file, path.join(root, 'src/main/java/com/acme/Flow.java'));
    assert.equal(loc.line, 12);
    assert.equal(frames.filter((f) => f.inWorkspace).length, 2);
  });

  it('resolves Go panics and plain file:line traces with the same parser as the timeline', () => {
    const panic =
      'panic: boom\n\ngoroutine 1 [running]:\nmain.check(...)\n\t/app/cmd/flow.go:21 +0x1d\nmain.main()\n\t/app/cmd/main.go:9 +0x25\n';
    const loc = resolveSource(spanWith({}, panic), { workspaceRoot: '/ws', pathMappings: { '/app': '/ws' } })!;
    assert.deepEqual([loc.file, loc.line, loc.function, loc.via], ['/ws/cmd/flow.go', 21, 'main.check', 'stack']);
    const plain = resolveSource(spanWith({}, "thread 'main' panicked at src/lib.rs:3:5:\nattempt to divide by zero"), {
      workspaceRoot: '/ws',
    })!;
    assert.deepEqual([plain.file, plain.line, plain.column], ['/ws/src/lib.rs', 3, 5]);
  });

  it('maps container paths to the workspace with path mappings (longest prefix wins)', () => {
    const opts = { workspaceRoot: '/home/me/proj', pathMappings: { '/app': '${workspaceFolder}', '/app/src/vendor': '/opt/vendor' } };
    assert.equal(mapPath('/app/src/flow.py', opts), '/home/me/proj/src/flow.py');
    assert.equal(mapPath('/app/src/vendor/x.py', opts), '/opt/vendor/x.py');
    const tb = 'Traceback (most recent call last):\n  File "/app/src/flow.py", line 9, in run\n    boom()\nValueError: x\n';
    const loc = resolveSource(spanWith({}, tb), opts)!;
    assert.equal(loc.file, '/home/me/proj/src/flow.py');
    assert.equal(loc.line, 9);
  });

  it('prefers the raising line over the step function for a failure, and says nothing when nothing is known', () => {
    const tb =
      'Traceback (most recent call last):\n  File "/ws/flow.py", line 30, in validate\n    check()\n  File "/ws/flow.py", line 41, in check\n    raise ValueError("dup")\nValueError: dup\n';
    const span = spanWith({ 'code.filepath': '/ws/flow.py', 'code.lineno': 28 }, tb);
    assert.equal(resolveSource(span, { workspaceRoot: '/ws' })!.line, 28);
    assert.equal(resolveFailure(span, { workspaceRoot: '/ws' })!.line, 41);
    assert.equal(resolveSource(spanWith({}), { workspaceRoot: '/ws' }), undefined);
    const outside = 'Traceback (most recent call last):\n  File "/usr/lib/python3.11/json/decoder.py", line 3, in decode\nValueError: x\n';
    assert.equal(resolveSource(spanWith({}, outside), { workspaceRoot: '/ws' }), undefined, 'no workspace frame: no location');
  });
});
