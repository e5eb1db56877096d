/**
 * One interop run at a time per machine: the lab servers have fixed namespace names, so a second run's
 * up()/down() would kill the first one's servers. The lock is a file holding the owner's PID; a lock whose
 * owner is dead is stale and taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { LAB_ROOT, pidAlive, sleep } from './sys';

const LOCK = join(LAB_ROOT, 'interop.lock');

function holder(): number | null {
  try {
    const pid = Number(readFileSync(LOCK, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Waits (up to `timeoutMs`) until this process holds the lab lock. Re-entrant for the same PID. */
export async function acquireLabLock(timeoutMs = 60 * 60_000): Promise<void> {
  mkdirSync(LAB_ROOT, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    const owner = holder();
    if (owner === process.pid) return;
    if (owner !== null && !pidAlive(owner)) rmSync(LOCK, { force: true });
    try {
      const fd = openSync(LOCK, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return;
    } catch {
      // held by a live process
    }
    if (Date.now() > deadline)
      throw new Error(`lab lock ${LOCK} still held by PID ${holder()} after ${timeoutMs} ms`);
    if (!announced) {
      console.warn(`waiting for the lab lock held by PID ${holder()} (another interop run or npm run lab)`);
      announced = true;
    }
    await sleep(500);
  }
}

export function releaseLabLock(): void {
  if (holder() === process.pid) rmSync(LOCK, { force: true });
}
