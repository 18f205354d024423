/**
 * What was around a run when it started — the facts Run Diff compares to answer "it worked
 * last time, what changed?": the code (git), the environment (variable names with hashes of
 * their values, never the values), the runtimes, the dependency lock files, the declared
 * input files, and who/where ran it. Captured at launch by src/core/context/capture.ts and
 * stored on the run; every list and string is bounded here because a store may come from a
 * cloned repository (untrusted).
 */
import { z } from 'zod';

/** Hex digest prefix (sha256 / HMAC-SHA256, 16 hex characters = 64 bits: enough to tell values apart). */
const Hash = z.string().regex(/^[0-9a-f]{8,64}$/);
const Text = (max: number) => z.string().max(max);
/** A record of at most `max` entries. */
const Bounded = <T extends z.ZodType>(value: T, max: number) =>
  z.record(Text(256), value).refine((o) => Object.keys(o).length <= max, { message: `at most ${max} entries` });

export const MAX_CONTEXT_FILES = 200;
export const MAX_CONTEXT_ENV = 300;
export const MAX_CONTEXT_INPUTS = 200;

export const ChangedFile = z.object({
  /** Relative to the repository's top folder, forward slashes. */
  path: Text(1024),
  /** `git status --porcelain` code: `M`, `A`, `D`, `R`, `??` (untracked)… */
  status: Text(4),
  /** Hash of the file's content when the run started; absent when deleted or unreadable. */
  hash: Hash.optional(),
});
export type ChangedFile = z.infer<typeof ChangedFile>;

const GitContext = z.object({
  commit: Text(64).optional(),
  branch: Text(256).optional(),
  /** The repository's top folder, so a diff can open files by their repository paths. */
  root: Text(4096).optional(),
  dirty: z.boolean(),
  /** Uncommitted changes (staged, unstaged, untracked), at most MAX_CONTEXT_FILES. */
  files: z.array(ChangedFile).max(MAX_CONTEXT_FILES),
  /** How many changed files were not listed. */
  filesOmitted: z.number().int().nonnegative().optional(),
  /** One hash over every changed file and its content: equal means the same uncommitted state. */
  diffHash: Hash.optional(),
  /**
   * Files and folders git ignores (status `!!`, folders ending in `/`) with a hash of their
   * content — where left-over state lives (a cache, a checkpoint, a local database). Build
   * output and tool caches (node_modules, __pycache__, .venv…) are left out.
   */
  ignored: z.array(ChangedFile).max(MAX_CONTEXT_FILES).optional(),
});

export const HashedFile = z.object({
  path: Text(4096),
  size: z.number().int().nonnegative().optional(),
  /** Absent when the file could not be read (or an input pattern matched nothing: `missing`). */
  hash: Hash.optional(),
  missing: z.boolean().optional(),
});
export type HashedFile = z.infer<typeof HashedFile>;

export const RunContext = z.object({
  git: GitContext.optional(),
  /** `python3` / `node` / the command's own interpreter → its `--version` line. */
  runtimes: Bounded(Text(256), 16).optional(),
  /** Dependency lock files found in the working folder and the repository's top folder. */
  lockfiles: z.array(HashedFile).max(32).optional(),
  /**
   * Environment variable name → `h:<hash>` of its value, or `s:<hash>` for names that look
   * like secrets (keyed with this user's key, so the hash cannot be guessed from a short value
   * without it). Values are never stored.
   */
  env: Bounded(Text(80), MAX_CONTEXT_ENV).optional(),
  envOmitted: z.number().int().nonnegative().optional(),
  /** Which user key made the `s:` hashes (a prefix of its hash): comparable only when equal. */
  envKey: Text(16).optional(),
  /** Files matched by the workflow's declared `inputs` patterns, relative to the working folder. */
  inputs: z.array(HashedFile).max(MAX_CONTEXT_INPUTS).optional(),
  inputsOmitted: z.number().int().nonnegative().optional(),
  /** Who and where: the OS user, the host, a CI job from the usual CI variables. */
  origin: z
    .object({
      user: Text(256).optional(),
      host: Text(256).optional(),
      ci: z.object({ provider: Text(64), job: Text(256).optional(), url: Text(2048).optional() }).optional(),
    })
    .optional(),
});
export type RunContext = z.infer<typeof RunContext>;

/** Who and where a run was recorded, as the runs tree filters by it (from its context's origin). */
export interface RunOrigin {
  user?: string;
  host?: string;
  /** The CI provider and job, e.g. `github 1234`. */
  ci?: string;
}

export function originOf(origin: RunContext['origin']): RunOrigin {
  const out: RunOrigin = {};
  if (origin?.user) out.user = origin.user;
  if (origin?.host) out.host = origin.host;
  if (origin?.ci) out.ci = [origin.ci.provider, origin.ci.job].filter(Boolean).join(' ');
  return out;
}
