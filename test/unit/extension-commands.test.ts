/**
 * One table names every command (src/extension/commands/table.ts): package.json contributes
 * exactly those, its menus, keybindings and welcome links name only those, and every feature
 * module registers its part of them.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMMAND_IDS } from '../../src/extension/commands/table';
import { REPO } from './helpers/fixtures';

interface Contributes {
  commands: { command: string }[];
  menus: Record<string, { command: string }[]>;
  keybindings: { command: string }[];
  viewsWelcome: { contents: string }[];
}
const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { contributes: Contributes };
const sorted = (ids: Iterable<string>) => [...new Set(ids)].sort();
const table = sorted(COMMAND_IDS);

describe('the command table', () => {
  it('is what package.json contributes: the same ids, each once', () => {
    const contributed = pkg.contributes.commands.map((c) => c.command);
    assert.equal(new Set(contributed).size, contributed.length, 'a command contributed twice');
    assert.equal(new Set(COMMAND_IDS).size, COMMAND_IDS.length, 'an id twice in the table');
    assert.deepEqual(sorted(contributed), table);
  });

  it('names every command the menus, keybindings and the welcome view use', () => {
    const used = [
      ...Object.values(pkg.contributes.menus).flatMap((items) => items.map((i) => i.command)),
      ...pkg.contributes.keybindings.map((k) => k.command),
      ...pkg.contributes.viewsWelcome.flatMap((w) => [...w.contents.matchAll(/\(command:(runlens\.[\w.]+)/g)].map((m) => m[1]!)),
    ];
    assert.ok(used.length > 20, 'the menus were read');
    assert.deepEqual(
      sorted(used).filter((id) => !table.includes(id)),
      [],
    );
  });

  it('has one handler per id in the extension, registered through the table', () => {
    const dir = path.join(REPO, 'src/extension');
    const files = fs
      .readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.startsWith('timeline') && f !== path.join('commands', 'table.ts'));
    const text = files.map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
    assert.doesNotMatch(text, /registerCommand\(\s*'runlens/, 'commands are registered through CommandRegistry, not one by one');
    // Handler keys of `commands.register({ 'runlens.x': handler, … })` in the feature modules.
    const handlers = [...text.matchAll(/(?:^|[{,])\s*'(runlens\.\w+)':(?!\s*true\b)/gm)].map((m) => m[1]!);
    assert.deepEqual(handlers.slice().sort(), table, 'each id has exactly one handler');
  });
});
