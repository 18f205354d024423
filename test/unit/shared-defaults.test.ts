import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_ATTR_MAX_LENGTH, SETTING_DEFAULTS } from '../../src/shared/defaults';
import { DEFAULT_LIMITS } from '../../src/core/limits';
import { REPO } from './helpers/fixtures';

const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, { default?: unknown }> } };
};

describe('shared setting defaults', () => {
  it("are the defaults package.json's contributes.configuration declares", () => {
    for (const [key, value] of Object.entries(SETTING_DEFAULTS)) {
      const p = manifest.contributes.configuration.properties[`runlens.${key}`];
      assert.ok(p, `package.json declares runlens.${key}`);
      assert.equal(p.default, value, `runlens.${key} default`);
    }
  });

  it('are what the core applies when no setting is given', () => {
    assert.equal(DEFAULT_LIMITS.attrValueLength, DEFAULT_ATTR_MAX_LENGTH);
  });
});
