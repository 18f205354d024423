/** The window's stores (src/extension/stores.ts): a team store that opens after the window waits for it. */
import { strict as assert } from 'node:assert';
import { Stores } from '../../src/extension/stores';
import type { RemoteStore } from '../../src/core/store/remote';
import type { TeamStoreLike } from '../../src/extension/teamConnection';
import { TraceStore } from '../../src/core/store/store';

describe('stores of a window', () => {
  it('hands the team store to whoever waits for it as soon as it opens (a timeline restored after a reload)', async () => {
    const workspace = await TraceStore.open();
    const team = Object.assign(await TraceStore.open(), { label: 'team', onConnection: () => ({ dispose: () => undefined }) });
    const stores = new Stores(workspace as unknown as RemoteStore);
    const waiting = stores.whenTeam(60_000);
    stores.team = team as unknown as TeamStoreLike;
    assert.equal(await waiting, team, 'told when it opens, not after the wait');
    assert.equal(await stores.whenTeam(0), team, 'open already: at once');
    stores.team = undefined;
    assert.equal(await stores.whenTeam(0), undefined, 'none configured or not open: undefined when the wait ends');
    await workspace.close();
    await team.close();
  });
});
