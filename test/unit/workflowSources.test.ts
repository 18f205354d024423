/** Where Run Workflow… finds workflows: settings, launch.json, the active file; and how Debug from Here re-runs one. */
import { strict as assert } from 'node:assert';
import { debugConfigFor, forActiveFile, fromLaunchConfig, fromSetting } from '../../src/extension/workflowSources';

const ctx = { workspaceFolder: '/ws', env: { HOME: '/home/u', TOKEN: 'abc' }, file: '/ws/flows/a.py' };
const defaults = { python: 'python3' };

describe('workflow sources', () => {
  it('turns a runlens.workflows entry into a command line with variables substituted', () => {
    assert.deepEqual(
      fromSetting(
        {
          name: 'nightly',
          command: 'python3',
          args: ['${workspaceFolder}/flow.py', '--token=${env:TOKEN}'],
          cwd: 'flows',
          env: { A: '${workspaceFolderBasename}' },
        },
        ctx,
      ),
      {
        name: 'nightly',
        command: ['python3', '/ws/flow.py', '--token=abc'],
        cwd: '/ws/flows',
        env: { A: 'ws' },
        origin: 'settings',
        detail: 'python3 ${workspaceFolder}/flow.py --token=${env:TOKEN}  (settings)',
        folder: '/ws',
      },
    );
  });

  it('says why an entry cannot run instead of dropping it', () => {
    assert.deepEqual(fromSetting({ command: 'x' }, ctx), { name: '(unnamed)', reason: 'a runlens.workflows entry has no "name"' });
    assert.deepEqual(fromSetting({ name: 'n', command: 'x', args: 'not-an-array' }, ctx), {
      name: 'n',
      reason: '"args" must be an array of strings',
    });
    assert.match(
      (fromSetting({ name: 'n', command: '${command:pickProcess}' }, ctx) as { reason: string }).reason,
      /not supported outside the debugger/,
    );
  });

  it('reads Python and Node launch configurations (program, module, args, cwd, env), skipping attach ones', () => {
    const py = fromLaunchConfig(
      { type: 'debugpy', request: 'launch', name: 'Agent', program: '${file}', args: ['--fast'], env: { X: '1' } },
      ctx,
      defaults,
    );
    assert.deepEqual(py && 'command' in py ? [py.command, py.cwd, py.env] : py, [
      ['python3', '/ws/flows/a.py', '--fast'],
      '/ws',
      { X: '1' },
    ]);
    const mod = fromLaunchConfig(
      { type: 'python', request: 'launch', name: 'M', module: 'pkg.main', python: '/venv/bin/python' },
      ctx,
      defaults,
    );
    assert.deepEqual(mod && 'command' in mod ? mod.command : mod, ['/venv/bin/python', '-m', 'pkg.main']);
    const node = fromLaunchConfig(
      { type: 'node', request: 'launch', name: 'N', program: '${workspaceFolder}/dist/main.js', runtimeArgs: ['--enable-source-maps'] },
      ctx,
      defaults,
    );
    assert.deepEqual(node && 'command' in node ? node.command : node, ['node', '--enable-source-maps', '/ws/dist/main.js']);
    assert.deepEqual(fromLaunchConfig({ type: 'node', request: 'attach', name: 'A' }, ctx, defaults), {
      name: 'A',
      reason: 'only "launch" configurations can be run (this one attaches)',
    });
    assert.equal(fromLaunchConfig({ type: 'cppdbg', request: 'launch', name: 'C' }, ctx, defaults), undefined);
  });

  it('offers the active Python, JavaScript or TypeScript file', () => {
    assert.deepEqual(forActiveFile('/ws/a.py', 'python', ctx, defaults)?.command, ['python3', '/ws/a.py']);
    assert.deepEqual(forActiveFile('/ws/b.ts', 'typescript', ctx, defaults)?.command, ['npx', 'tsx', '/ws/b.ts']);
    assert.equal(forActiveFile('/ws/README.md', 'markdown', ctx, defaults), undefined);
  });

  it('derives a debug configuration from the command line, keeping the Runlens env', () => {
    const c = debugConfigFor({ name: 'flow', command: ['python3', '-u', 'flow.py', '--n', '2'], cwd: '/ws', env: { TRACEPARENT: 't' } });
    assert.deepEqual(c, {
      name: 'Runlens: flow',
      request: 'launch',
      cwd: '/ws',
      env: { TRACEPARENT: 't' },
      type: 'debugpy',
      python: 'python3',
      program: 'flow.py',
      args: ['--n', '2'],
      console: 'integratedTerminal',
      justMyCode: true,
    });
    assert.equal(debugConfigFor({ name: 'x', command: ['make', 'all'], cwd: '/ws', env: {} }), undefined);
    const fromLaunch = debugConfigFor({
      name: 'Agent',
      command: [],
      cwd: '/ws',
      env: { R: '1' },
      launchConfig: { type: 'python', request: 'launch', program: 'a.py', env: { X: '1' } },
    });
    assert.deepEqual(fromLaunch, { type: 'debugpy', request: 'launch', program: 'a.py', env: { X: '1', R: '1' }, name: 'Runlens: Agent' });
  });
});
