/**
 * A workflow with a process tree (a child that starts a grandchild) whose end a test can
 * wait for without polling: both processes hold the write end of a FIFO the test reads, so
 * the test sees end of file exactly when the last of them is gone.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const TREE = `import os, signal, subprocess, sys, time
fifo, mode = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "")
if mode == "stubborn":
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, signal.SIG_IGN)
out = open(fifo, "w")
pre = "import signal\\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP): signal.signal(s, signal.SIG_IGN)\\n" if mode == "stubborn" else ""
child = subprocess.Popen([sys.executable, "-c", pre + "import time\\ntime.sleep(600)"], pass_fds=(out.fileno(),))
out.write(f"READY {os.getpid()} {child.pid}\\n")
out.flush()
print("workflow started", flush=True)
time.sleep(600)
`;

export interface ProcessTree {
  /** The command that starts the tree (`python3 tree.py <fifo> [stubborn]`). */
  command: string[];
  /** Resolves with the workflow's and its grandchild's pids once both run. */
  ready: Promise<{ pid: number; grandchild: number }>;
  /** Resolves when every process of the tree has exited. */
  gone: Promise<void>;
  /** Unblock the FIFO if the tree never started (so no open is left pending). */
  dispose(): void;
}

/** `stubborn`: the workflow and its grandchild ignore SIGTERM, SIGINT and SIGHUP (only SIGKILL stops them). */
export function processTree(dir: string, opts: { stubborn?: boolean } = {}): ProcessTree {
  const script = path.join(dir, 'tree.py');
  fs.writeFileSync(script, TREE);
  const fifo = path.join(dir, `tree-${Math.random().toString(36).slice(2)}.fifo`);
  execFileSync('mkfifo', [fifo]);
  const stream = fs.createReadStream(fifo, { encoding: 'utf8' });
  let text = '';
  const ready = new Promise<{ pid: number; grandchild: number }>((resolve, reject) => {
    stream.on('data', (d) => {
      text += d;
      const m = /READY (\d+) (\d+)\n/.exec(text);
      if (m) resolve({ pid: Number(m[1]), grandchild: Number(m[2]) });
    });
    stream.on('error', reject);
    stream.on('end', () => reject(new Error('the process tree ended before it was ready')));
  });
  ready.catch(() => undefined);
  const gone = new Promise<void>((resolve) => stream.on('end', () => resolve()));
  return {
    command: ['python3', script, fifo, ...(opts.stubborn ? ['stubborn'] : [])],
    ready,
    gone,
    dispose: () => {
      try {
        fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
      } catch {
        /* a reader that is not waiting, or already done */
      }
      stream.destroy();
    },
  };
}

/** `promise`, or a rejection naming `what` if it has not settled within `ms` (a bound, not a wait). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} (not within ${ms} ms)`)), ms);
    }),
  ]);
}
