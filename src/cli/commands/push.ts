/** `runlens push <run> --to postgres://…`: publish a run of the workspace database to the team database. */
import { isTeamUrl } from '../../core/store/pg';
import { pushRun } from '../../core/store/push';
import { terminalText } from '../../core/terminal';
import { teamUrl, UsageError, type Parsed } from '../args';
import { findRun, openForReading, openTeam, runArgument } from '../database';

export async function cmdPush(p: Parsed): Promise<number> {
  const id = runArgument(p);
  const to = p.flags.get('to');
  if (typeof to !== 'string' || !isTeamUrl(to)) throw new UsageError('--to needs the team database, postgres://user@host:port/db', 'push');
  if (teamUrl(p)) throw new UsageError('--db names the database to publish from: a workspace database file', 'push');
  const { store: from, file } = await openForReading(p);
  try {
    const run = findRun(from, id, file);
    const team = await openTeam(to);
    try {
      const r = pushRun(from, team, run.id);
      process.stdout.write(
        `published ${terminalText(run.id)}  ${terminalText(run.name)} to ${team.label}: ${r.spans} spans, ${r.logs} log records, ${r.points} metric points, ${r.outputLines} output lines\n`,
      );
      return 0;
    } finally {
      await team.close();
    }
  } finally {
    await from.close();
  }
}
