/**
 * Profiles on disk (SPEC §3): the user's `<id>.ferry.json` files (schema-validated, written atomically) and IT's
 * managed profiles + policy from the system directory, shown as locked when the policy says so. A file that
 * does not validate is reported with its field errors — never a crash, never silently dropped.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { IpcError, Policy } from '../../../core/api/ipc';
import { type Logger, silentLogger } from '../../../core/common/log';
import { err, ok, type Result } from '../../../core/common/result';
import {
  type FieldError,
  type Profile,
  parseProfile,
  parseProfileFile,
  serializeProfileFile,
} from '../../../core/profile/schema';
import { type AtomicFs, isAtomicTemp, removeStaleTemps, writeFileAtomic } from './atomicFile';
import type { StorePaths } from './paths';
import { enforcePolicy, NO_POLICY, parsePolicy, policyViolations, profileWarnings } from './policy';

export interface StoredProfile {
  readonly profile: Profile;
  /** From the system directory (or the user's edit of a managed profile). */
  readonly managed: boolean;
  /** Managed and the policy locks editing. */
  readonly locked: boolean;
  readonly path: string;
  readonly warnings: readonly string[];
}

export interface StoreProblem {
  readonly path: string;
  readonly source: 'user' | 'managed' | 'policy';
  readonly message: string;
  readonly fields: readonly FieldError[];
}

export interface ProfileStoreOptions extends StorePaths {
  readonly logger?: Logger;
  /** For crash tests. */
  readonly atomicFs?: AtomicFs;
}

const MAX_FILE = 1024 * 1024;
const isProfileFile = (name: string) =>
  name.endsWith('.json') && !name.startsWith('.') && !isAtomicTemp(name);

interface Loaded {
  readonly profile: Profile;
  readonly path: string;
}

export class ProfileStore {
  private profiles = new Map<string, StoredProfile>();
  private userFiles = new Map<string, string>();
  private problemList: StoreProblem[] = [];
  private currentPolicy: Policy = NO_POLICY;
  private writes: Promise<unknown> = Promise.resolve();
  private readonly log: Logger;

  constructor(private readonly opts: ProfileStoreOptions) {
    this.log = (opts.logger ?? silentLogger).child('profiles');
  }

  get policy(): Policy {
    return this.currentPolicy;
  }

  get problems(): readonly StoreProblem[] {
    return this.problemList;
  }

  list(): StoredProfile[] {
    return [...this.profiles.values()].sort((a, b) => a.profile.name.localeCompare(b.profile.name));
  }

  get(id: string): StoredProfile | undefined {
    return this.profiles.get(id);
  }

  /** By id, else by name (case-insensitive; only when exactly one profile has that name). */
  find(ref: string): StoredProfile | undefined {
    const byId = this.profiles.get(ref);
    if (byId) return byId;
    const lower = ref.toLowerCase();
    const named = [...this.profiles.values()].filter((p) => p.profile.name.toLowerCase() === lower);
    return named.length === 1 ? named[0] : undefined;
  }

  /** (Re)reads the policy, the managed profiles and the user's profiles. Never throws. */
  async load(): Promise<void> {
    const problems: StoreProblem[] = [];
    const policy = await this.readPolicy(problems);
    const managed = await this.readDir(this.opts.systemDir, 'managed', problems);
    const user = await this.readDir(this.opts.userDir, 'user', problems);
    await removeStaleTemps(this.opts.userDir).catch(() => []);

    const next = new Map<string, StoredProfile>();
    const userFiles = new Map<string, string>();
    const add = (l: Loaded, source: 'user' | 'managed', managedFlag: boolean) => {
      const enforced = enforcePolicy(l.profile, policy);
      if (!enforced.ok) {
        problems.push({
          path: l.path,
          source,
          message: `profile "${l.profile.id}" cannot comply with the policy`,
          fields: enforced.errors,
        });
        return;
      }
      next.set(l.profile.id, {
        profile: enforced.profile,
        managed: managedFlag,
        locked: managedFlag && policy.lockEditing,
        path: l.path,
        warnings: [...enforced.warnings, ...profileWarnings(enforced.profile)],
      });
    };
    const managedIds = new Set(managed.map((m) => m.profile.id));
    for (const m of managed)
      if (!(user.some((u) => u.profile.id === m.profile.id) && !policy.lockEditing)) add(m, 'managed', true);
    for (const u of user) {
      userFiles.set(u.profile.id, u.path);
      if (managedIds.has(u.profile.id)) {
        if (policy.lockEditing) {
          problems.push({
            path: u.path,
            source: 'user',
            message: `ignored: "${u.profile.id}" is a managed profile and the policy locks editing`,
            fields: [],
          });
          continue;
        }
        add(u, 'user', true);
      } else add(u, 'user', false);
    }
    this.profiles = next;
    this.userFiles = userFiles;
    this.problemList = problems;
    this.currentPolicy = policy;
    for (const p of problems)
      this.log.warn('profile problem', {
        path: p.path,
        message: p.message,
        fields: p.fields.map((f) => `${f.path}: ${f.message}`),
      });
  }

  /**
   * Validates and writes a profile (new or changed). Refused: invalid fields, policy violations (as field
   * errors), a managed profile while the policy locks editing.
   */
  save(input: unknown): Promise<Result<StoredProfile, IpcError>> {
    return this.serial(async () => {
      const parsed = parseProfile(input);
      if (!parsed.ok) return err(invalid(parsed.error));
      const p = parsed.value;
      const existing = this.profiles.get(p.id);
      if (existing?.locked) return err(locked(p.id));
      const violations = policyViolations(p, this.currentPolicy);
      if (violations.length)
        return err(invalid(violations, 'The profile violates your organisation’s policy.'));
      const path = this.userFiles.get(p.id) ?? join(this.opts.userDir, `${p.id}.ferry.json`);
      const written = await this.write(path, serializeProfileFile(p));
      if (!written.ok) return written;
      await this.load();
      const stored = this.profiles.get(p.id);
      if (!stored)
        return err({
          code: 'invalid-profile',
          message: 'The profile was saved but does not load back.',
          fields: this.problemsAt(path),
        });
      this.log.info(existing ? 'profile updated' : 'profile created', { id: p.id });
      return ok(stored);
    });
  }

  /** Deletes a user profile, or the user's edit of a managed one (the managed original comes back). */
  remove(id: string): Promise<Result<void, IpcError>> {
    return this.serial(async () => {
      const path = this.userFiles.get(id);
      if (!path) {
        if (this.profiles.get(id)?.managed)
          return err({
            code: 'managed',
            message: 'Managed profiles cannot be deleted here.',
            hint: 'Ask your IT department.',
          });
        return err(notFound(id));
      }
      if (this.profiles.get(id)?.locked) return err(locked(id));
      try {
        await fsp.unlink(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return err(ioError('delete', path, e));
      }
      await this.load();
      this.log.info('profile deleted', { id });
      return ok(undefined);
    });
  }

  /** Imports a `.ferry.json` text as a new user profile (a taken id gets a `-2`, `-3`, … suffix). */
  async importText(text: string): Promise<Result<StoredProfile, IpcError>> {
    const parsed = parseProfileFile(text);
    if (!parsed.ok)
      return err({
        code: 'invalid-profile-file',
        message: 'The file is not a valid Ferry profile.',
        fields: parsed.error,
      });
    let p = parsed.value;
    if (this.profiles.has(p.id) || this.userFiles.has(p.id)) {
      let n = 2;
      while (this.profiles.has(`${p.id}-${n}`) || this.userFiles.has(`${p.id}-${n}`)) n++;
      const id = `${p.id.slice(0, 60)}-${n}`;
      p = { ...p, id, name: `${p.name.slice(0, 72)} (${n})` };
    }
    return this.save(p);
  }

  exportText(id: string): Result<{ fileName: string; text: string }, IpcError> {
    const s = this.profiles.get(id);
    if (!s) return err(notFound(id));
    return ok({ fileName: `${id}.ferry.json`, text: serializeProfileFile(s.profile) });
  }

  private problemsAt(path: string): FieldError[] {
    return this.problemList.filter((p) => p.path === path).flatMap((p) => p.fields);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writes.then(fn, fn);
    this.writes = run.catch(() => undefined);
    return run;
  }

  private async write(path: string, text: string): Promise<Result<void, IpcError>> {
    try {
      await fsp.mkdir(this.opts.userDir, { recursive: true, mode: 0o700 });
      await writeFileAtomic(path, text, {
        mode: 0o600,
        ...(this.opts.atomicFs ? { fs: this.opts.atomicFs } : {}),
      });
      return ok(undefined);
    } catch (e) {
      return err(ioError('write', path, e));
    }
  }

  private async readPolicy(problems: StoreProblem[]): Promise<Policy> {
    const path = this.opts.policyFile;
    if (!path) return NO_POLICY;
    let text: string;
    try {
      text = await fsp.readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return NO_POLICY;
      problems.push({
        path,
        source: 'policy',
        message: `cannot read the policy: ${errnoText(e)}`,
        fields: [],
      });
      // Fail closed: a policy that exists but cannot be read still locks and forbids.
      return { lockEditing: true, forceFullTunnel: false, forbidLegacy: true, forbidPap: true };
    }
    const { policy, errors } = parsePolicy(text);
    if (errors.length)
      problems.push({ path, source: 'policy', message: 'the policy file has errors', fields: errors });
    return policy;
  }

  private async readDir(
    dir: string | null,
    source: 'user' | 'managed',
    problems: StoreProblem[],
  ): Promise<Loaded[]> {
    if (!dir) return [];
    let names: string[];
    try {
      names = (await fsp.readdir(dir)).filter(isProfileFile).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        problems.push({
          path: dir,
          source,
          message: `cannot list the directory: ${errnoText(e)}`,
          fields: [],
        });
      return [];
    }
    const out: Loaded[] = [];
    const seen = new Map<string, string>();
    for (const name of names) {
      const path = join(dir, name);
      const r = await readProfile(path, source);
      if (!r.ok) {
        problems.push({ path, source, message: r.error.message, fields: r.error.fields });
        continue;
      }
      const first = seen.get(r.value.id);
      if (first) {
        problems.push({
          path,
          source,
          message: `ignored: profile id "${r.value.id}" is already used by ${first}`,
          fields: [{ path: 'profile.id', message: 'duplicate id' }],
        });
        continue;
      }
      seen.set(r.value.id, path);
      out.push({ profile: r.value, path });
    }
    return out;
  }
}

async function readProfile(
  path: string,
  source: 'user' | 'managed',
): Promise<Result<Profile, { message: string; fields: FieldError[] }>> {
  let text: string;
  try {
    const st = await fsp.stat(path);
    if (!st.isFile()) return err({ message: 'not a regular file', fields: [] });
    if (st.size > MAX_FILE) return err({ message: 'larger than 1 MiB', fields: [] });
    text = await fsp.readFile(path, 'utf8');
  } catch (e) {
    return err({ message: `cannot read: ${errnoText(e)}`, fields: [] });
  }
  // IT may drop bare profile objects; user files always carry the `.ferry.json` envelope.
  const r = source === 'managed' && !/"format"\s*:/.test(text) ? parseBare(text) : parseProfileFile(text);
  return r.ok ? r : err({ message: 'invalid profile', fields: r.error });
}

function parseBare(text: string): Result<Profile, FieldError[]> {
  try {
    return parseProfile(JSON.parse(text));
  } catch (e) {
    return err([{ path: '', message: `not valid JSON: ${e instanceof Error ? e.message : String(e)}` }]);
  }
}

const errnoText = (e: unknown) =>
  (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));

const invalid = (fields: readonly FieldError[], message = 'The profile has errors.'): IpcError => ({
  code: 'invalid-profile',
  message,
  fields,
});
const locked = (id: string): IpcError => ({
  code: 'locked',
  message: `The profile "${id}" is managed and locked.`,
  hint: 'Ask your IT department.',
});
const notFound = (id: string): IpcError => ({ code: 'not-found', message: `No profile "${id}".` });
const ioError = (what: string, path: string, e: unknown): IpcError => ({
  code: 'io-error',
  message: `Cannot ${what} ${path}: ${errnoText(e)}`,
  hint: 'check the permissions of your Ferry configuration directory',
});
