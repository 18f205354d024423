/**
 * Workspace trust covers every setting that acts: a cloned repository's .vscode/settings.json
 * cannot, until the user trusts it, change what Runlens runs, deletes, where data goes or is
 * received, how much it keeps, or which files open without asking; and no workspace value
 * can push a number past a sane bound (retention.maxRuns: 0 deleted every run).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { boundedNumber, NUMBER_BOUNDS, type BoundedKey } from '../../src/extension/configBounds';
import { REPO } from './helpers/fixtures';

interface Manifest {
  capabilities: { untrustedWorkspaces: { supported: string; restrictedConfigurations?: string[] } };
  contributes: {
    configuration: { properties: Record<string, { type: string; minimum?: number; maximum?: number; default?: unknown; scope?: string }> };
    commands: { command: string; enablement?: string }[];
  };
}

const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as Manifest;
const restricted = new Set(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations ?? []);
const settings = Object.keys(manifest.contributes.configuration.properties);

/** Settings that only change what is shown, never what is run, deleted, stored, received or opened. */
const DISPLAY_ONLY = new Set(['runlens.codeLens.enabled', 'runlens.codeLens.history', 'runlens.problems.enabled']);

describe('workspace trust and settings', () => {
  it('restricts in untrusted workspaces every setting that runs, deletes, stores, receives or opens', () => {
    for (const key of [
      'runlens.workflows',
      'runlens.pythonPath',
      'runlens.database.path',
      'runlens.retention.maxRuns',
      'runlens.retention.maxSizeMB',
      'runlens.collector.enabled',
      'runlens.collector.port',
      'runlens.attributes.maxLength',
      'runlens.pathMappings',
    ]) {
      assert.ok(restricted.has(key), `${key} is not in capabilities.untrustedWorkspaces.restrictedConfigurations`);
    }
    // A setting added later must be restricted too unless it only changes what is shown.
    const unrestricted = settings.filter((k) => !restricted.has(k) && !DISPLAY_ONLY.has(k) && k.startsWith('runlens.'));
    assert.deepEqual(unrestricted, [], 'settings that act but are not restricted in untrusted workspaces');
    for (const k of restricted) assert.ok(settings.includes(k), `restricted ${k} is not a setting`);
  });

  it('needs a trusted workspace for every command that starts a process', () => {
    const cmds = new Map(manifest.contributes.commands.map((c) => [c.command, c.enablement]));
    for (const c of ['runlens.runWorkflow', 'runlens.rerun', 'runlens.rerunLast', 'runlens.debugFromHere'])
      assert.match(cmds.get(c) ?? '', /isWorkspaceTrusted/, c);
  });

  it('keeps numeric settings within sane bounds whatever a workspace says (retention.maxRuns 0 keeps 10)', () => {
    assert.equal(boundedNumber('retention.maxRuns', 0), 10);
    assert.equal(boundedNumber('retention.maxRuns', -5), 10);
    assert.equal(boundedNumber('retention.maxRuns', 0.5), 10);
    assert.equal(boundedNumber('retention.maxRuns', Number.NaN), 200);
    assert.equal(boundedNumber('retention.maxRuns', '0'), 200);
    assert.equal(boundedNumber('retention.maxRuns', 500), 500);
    assert.equal(boundedNumber('retention.maxSizeMB', 0), 10);
    assert.equal(boundedNumber('attributes.maxLength', 1), 256);
    assert.equal(boundedNumber('attributes.maxLength', 1e12), 1_048_576);
    assert.equal(boundedNumber('collector.port', 70000), 65535);
    assert.equal(boundedNumber('collector.port', Infinity), 4318);
  });

  it('declares the same bounds and defaults in package.json as it enforces', () => {
    for (const [key, b] of Object.entries(NUMBER_BOUNDS) as [BoundedKey, (typeof NUMBER_BOUNDS)[BoundedKey]][]) {
      const p = manifest.contributes.configuration.properties[`runlens.${key}`];
      assert.ok(p, key);
      assert.equal(p.minimum, b.min, `${key} minimum`);
      assert.equal(p.default, b.default, `${key} default`);
      if (p.maximum !== undefined) assert.equal(p.maximum, b.max, `${key} maximum`);
      assert.equal(p.type, b.integer ? 'integer' : 'number', `${key} type`);
    }
  });
});
