/**
 * `runlens` — record and inspect workflow runs from a terminal or CI, into the same
 * database the VS Code extension shows.
 *
 * This module only dispatches: a command's usage and flags are in args.ts (COMMANDS), what
 * it does is its module in commands/, listed once in RUNNERS below; errors become
 * one line and an exit code here.
 */
import { ImportError } from '../core/ingest/importers';
import { DatabaseLockedError } from '../core/store/store';
import { terminalText } from '../core/terminal';
import { VERSION, HELP, COMMANDS, ALIASES, UsageError, isHelp, parseArgs, quoteArg, type Parsed } from './args';
import { cmdDiff } from './commands/diff';
import { cmdExport } from './commands/export';
import { cmdImport } from './commands/import';
import { cmdList } from './commands/list';
import { cmdMcp } from './commands/mcp';
import { cmdPush } from './commands/push';
import { cmdRun } from './commands/run';
import { cmdServe } from './commands/serve';
import { cmdShow } from './commands/show';
import { cannotRecord, StoreAccessError } from './database';
import { log } from './output';
import { PortTakenError } from './startCollector';

/** What each command does, by name (its usage and flags: COMMANDS in args.ts). Returns the exit code. */
const RUNNERS: Record<string, (p: Parsed) => Promise<number>> = {
  run: cmdRun,
  serve: cmdServe,
  list: cmdList,
  show: cmdShow,
  export: cmdExport,
  import: cmdImport,
  diff: cmdDiff,
  mcp: cmdMcp,
  push: cmdPush,
};

export async function main(argv: string[]): Promise<number> {
  const [given, ...args] = argv;
  const command = given !== undefined ? (ALIASES[given] ?? given) : undefined;
  try {
    const spec = command !== undefined ? COMMANDS[command] : undefined;
    const runner = command !== undefined ? RUNNERS[command] : undefined;
    if (command !== undefined && spec && runner) {
      // `<command> --help` prints its usage and does nothing else (flags after -- belong to the workflow).
      const ours = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
      if (ours.some(isHelp)) {
        process.stdout.write(spec.usage);
        return 0;
      }
      return await runner(parseArgs(command, args, spec));
    }
    switch (command) {
      case '--version':
      case 'version':
        if (args[0] !== undefined) throw new UsageError(`unexpected argument ${quoteArg(args[0])}`);
        process.stdout.write(VERSION + '\n');
        return 0;
      case undefined:
      case '-h':
      case '--help':
      case 'help': {
        const topic = args[0] !== undefined ? (ALIASES[args[0]] ?? args[0]) : undefined;
        const topicSpec = topic !== undefined ? COMMANDS[topic] : undefined;
        if (topic !== undefined && !topicSpec) throw new UsageError(`no command ${JSON.stringify(quoteArg(topic))}`);
        process.stdout.write(topicSpec ? topicSpec.usage : HELP);
        return 0;
      }
      default:
        throw new UsageError(`unknown command ${JSON.stringify(quoteArg(command))}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      // One line: what is wrong and where to read more.
      const cmd = err.command ?? (command !== undefined && COMMANDS[command] ? command : undefined);
      const where = cmd ? `runlens ${cmd}` : 'runlens';
      process.stderr.write(`${where}: ${terminalText(err.message)} (${where} --help)\n`);
      return 2;
    }
    if (
      err instanceof DatabaseLockedError ||
      err instanceof ImportError ||
      err instanceof PortTakenError ||
      err instanceof StoreAccessError
    ) {
      log(err.message);
      return 1;
    }
    // A writing command (import included) that may not write the database: the one line that says so.
    const denied = cannotRecord(err);
    if (denied instanceof StoreAccessError) {
      log(denied.message);
      return 1;
    }
    // Unexpected: the message, one line; the stack only when asked for (RUNLENS_DEBUG=1).
    log(process.env.RUNLENS_DEBUG ? ((err as Error).stack ?? String(err)) : err instanceof Error ? err.message : String(err));
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
