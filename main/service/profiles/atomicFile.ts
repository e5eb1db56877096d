/**
 * Crash-safe file replacement: write a temporary file in the same directory, fsync it, rename it over the
 * target (atomic on POSIX and NTFS), then fsync the directory so the rename itself is durable. A crash at any
 * point leaves either the old file or the new one, never a mixture; at worst a stray `.*.tmp` file remains,
 * which readers ignore and `removeStaleTemps` cleans up.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The file operations an atomic write needs (tests inject failures at every step). */
export interface AtomicFs {
  open(path: string, flags: string, mode: number): Promise<AtomicHandle>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** fsync of a directory (a no-op where the OS does not support it). */
  syncDir(path: string): Promise<void>;
}

export interface AtomicHandle {
  write(data: Uint8Array): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export const nodeAtomicFs: AtomicFs = {
  open: async (path, flags, mode) => {
    const h = await fsp.open(path, flags, mode);
    return {
      write: async (data) => {
        let off = 0;
        while (off < data.length) {
          const { bytesWritten } = await h.write(data, off, data.length - off);
          off += bytesWritten;
        }
      },
      sync: () => h.sync(),
      close: () => h.close(),
    };
  },
  rename: (from, to) => fsp.rename(from, to),
  unlink: (path) => fsp.unlink(path),
  syncDir: async (path) => {
    if (process.platform === 'win32') return;
    const h = await fsp.open(path, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  },
};

const TEMP_RE = /^\..+\.[0-9a-f]{12}\.tmp$/;

/** True for the temporary files writeFileAtomic creates (readers skip them). */
export function isAtomicTemp(name: string): boolean {
  return TEMP_RE.test(name);
}

export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  opts: { readonly mode?: number; readonly fs?: AtomicFs } = {},
): Promise<void> {
  const fs = opts.fs ?? nodeAtomicFs;
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const h = await fs.open(tmp, 'wx', opts.mode ?? 0o600);
  try {
    try {
      await h.write(bytes);
      await h.sync();
    } finally {
      await h.close();
    }
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fs.syncDir(dir);
}

/** Removes temporaries left by a crash mid-write (older than `minAgeMs`, so a concurrent writer is not hit). */
export async function removeStaleTemps(dir: string, minAgeMs = 60_000, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!isAtomicTemp(name)) continue;
    const p = join(dir, name);
    try {
      const st = await fsp.lstat(p);
      if (st.isFile() && now - st.mtimeMs >= minAgeMs) {
        await fsp.unlink(p);
        removed.push(name);
      }
    } catch {
      // gone meanwhile
    }
  }
  return removed;
}
