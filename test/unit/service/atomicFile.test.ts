/**
 * Atomic profile writes under a simulated crash: the process "dies" at every step of writeFileAtomic (after
 * which no further file operation happens — no cleanup), and the target always holds the complete old or the
 * complete new content, loads through the store, and the leftover temporary is ignored and later removed.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseProfile, serializeProfileFile } from '../../../core/profile/schema';
import {
  type AtomicFs,
  isAtomicTemp,
  nodeAtomicFs,
  removeStaleTemps,
  writeFileAtomic,
} from '../../../main/service/profiles/atomicFile';
import { ProfileStore } from '../../../main/service/profiles/profileStore';

class Crash extends Error {}

/** Counts operations; at operation number `at` the process "dies": that and every later operation throws. */
function crashingFs(at: number, opts: { partialWrite?: boolean } = {}): { fs: AtomicFs; ops: string[] } {
  const ops: string[] = [];
  let n = 0;
  let dead = false;
  const step = (name: string) => {
    if (dead) throw new Crash(`dead (${name})`);
    n++;
    ops.push(name);
    if (n === at) {
      dead = true;
      return true;
    }
    return false;
  };
  const fs: AtomicFs = {
    open: async (path, flags, mode) => {
      if (step('open')) throw new Crash('crash at open');
      const h = await nodeAtomicFs.open(path, flags, mode);
      return {
        write: async (data) => {
          if (step('write')) {
            if (opts.partialWrite) await h.write(data.subarray(0, Math.floor(data.length / 2)));
            throw new Crash('crash in write');
          }
          await h.write(data);
        },
        sync: async () => {
          if (step('sync')) throw new Crash('crash at fsync');
          await h.sync();
        },
        close: async () => {
          // The kernel closes descriptors of a dead process; closing is not a step that can lose data.
          await h.close();
          if (step('close')) throw new Crash('crash at close');
        },
      };
    },
    rename: async (from, to) => {
      if (step('rename')) throw new Crash('crash at rename');
      await nodeAtomicFs.rename(from, to);
    },
    unlink: async (p) => {
      if (dead) throw new Crash('dead (unlink)');
      await nodeAtomicFs.unlink(p);
    },
    syncDir: async (p) => {
      if (step('syncDir')) throw new Crash('crash at directory fsync');
      await nodeAtomicFs.syncDir(p);
    },
  };
  return { fs, ops };
}

const profile = (name: string) => {
  const r = parseProfile({ id: 'corp', name, server: 'vpn.example.com', userAuth: { username: 'alice' } });
  if (!r.ok) throw new Error('bad fixture');
  return r.value;
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ferry-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('replaces the file with mode 0600 and leaves no temporary', async () => {
    const path = join(dir, 'corp.ferry.json');
    writeFileSync(path, 'old');
    await writeFileAtomic(path, 'new content');
    expect(readFileSync(path, 'utf8')).toBe('new content');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['corp.ferry.json']);
  });

  it('removes its temporary when a step fails (the process lives on)', async () => {
    const path = join(dir, 'x.json');
    const fs: AtomicFs = { ...nodeAtomicFs, rename: async () => Promise.reject(new Error('EXDEV')) };
    await expect(writeFileAtomic(path, 'data', { fs })).rejects.toThrow('EXDEV');
    expect(readdirSync(dir)).toEqual([]);
  });

  // open, write, sync, close, rename, syncDir: a crash at each, and a torn write.
  const cases = [1, 2, 3, 4, 5, 6].flatMap((at) => [
    { at, partial: false },
    ...(at === 2 ? [{ at, partial: true }] : []),
  ]);
  for (const { at, partial } of cases) {
    it(`a crash at operation ${at}${partial ? ' (half the bytes written)' : ''} never loses or corrupts the profile`, async () => {
      const userDir = join(dir, 'profiles');
      const store = new ProfileStore({ userDir, systemDir: null, policyFile: null });
      expect((await store.save(profile('Old name'))).ok).toBe(true);
      const path = join(userDir, 'corp.ferry.json');
      const before = readFileSync(path, 'utf8');
      const { fs, ops } = crashingFs(at, { partialWrite: partial });
      const next = serializeProfileFile(profile('New name'));
      await expect(writeFileAtomic(path, next, { fs })).rejects.toBeInstanceOf(Crash);
      const after = readFileSync(path, 'utf8');
      // Before the rename the old file is untouched; from the rename on it is the complete new one.
      const renamed = ops.includes('rename') && ops.at(-1) !== 'rename';
      expect(after).toBe(renamed ? next : before);
      // A fresh process loads it without problems and ignores the leftover temporary.
      const again = new ProfileStore({ userDir, systemDir: null, policyFile: null });
      await again.load();
      expect(again.problems).toEqual([]);
      expect(again.get('corp')?.profile.name).toBe(renamed ? 'New name' : 'Old name');
      const temps = readdirSync(userDir).filter(isAtomicTemp);
      // The temporary exists once open() succeeded, until the rename consumed it.
      expect(temps.length).toBe(at > 1 && !renamed ? 1 : 0);
      expect(await removeStaleTemps(userDir, 0)).toEqual(temps);
      expect(readdirSync(userDir)).toEqual(['corp.ferry.json']);
    });
  }

  it('removeStaleTemps leaves young temporaries (a writer may be busy) and foreign files alone', async () => {
    writeFileSync(join(dir, '.a.json.0123456789ab.tmp'), 'x');
    writeFileSync(join(dir, 'notes.tmp'), 'x');
    expect(await removeStaleTemps(dir, 60_000)).toEqual([]);
    expect(await removeStaleTemps(dir, 0)).toEqual(['.a.json.0123456789ab.tmp']);
    expect(readdirSync(dir)).toEqual(['notes.tmp']);
  });
});

describe('a real writer killed with SIGKILL mid-save', () => {
  it('leaves a profile that loads, with one of the saved names, every time', async () => {
    const userDir = join(dir, 'profiles');
    const store = new ProfileStore({ userDir, systemDir: null, policyFile: null });
    expect((await store.save(profile('seed'))).ok).toBe(true);
    const storeModule = JSON.stringify(join(process.cwd(), 'main/service/profiles/profileStore.ts'));
    const schemaModule = JSON.stringify(join(process.cwd(), 'core/profile/schema.ts'));
    // Saves as fast as it can, with names (and so sizes) that change every time, until killed.
    const writer = `
      const { ProfileStore } = await import(${storeModule});
      const { parseProfile } = await import(${schemaModule});
      const store = new ProfileStore({ userDir: ${JSON.stringify(userDir)}, systemDir: null, policyFile: null });
      await store.load();
      process.stdout.write('ready\\n');
      for (let i = 0; ; i++) {
        const r = parseProfile({ id: 'corp', name: 'name ' + i + ' ' + 'x'.repeat(i % 500), server: 'vpn.example.com', userAuth: { username: 'alice' } });
        await store.save(r.value);
      }`;
    const { spawn } = await import('node:child_process');
    for (let round = 0; round < 8; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', writer], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 40 + round * 37));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const again = new ProfileStore({ userDir, systemDir: null, policyFile: null });
      await again.load();
      expect(again.problems).toEqual([]);
      expect(again.get('corp')?.profile.name).toMatch(/^(seed|name \d+ x*)$/);
    }
    expect(await removeStaleTemps(userDir, 0)).toEqual(expect.any(Array));
    expect(readdirSync(userDir)).toEqual(['corp.ferry.json']);
  });
});
