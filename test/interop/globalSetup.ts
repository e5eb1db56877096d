/**
 * Runs once around the interop suite: takes the machine-wide lab lock (one interop run at a time), removes
 * leftovers of an interrupted earlier run, and on the way out (also after failures) stops every lab server.
 */
import { acquireLabLock, releaseLabLock } from '../lab/lock';
import { radiusLab } from '../lab/radius';
import { labs } from '../lab/registry';

export async function setup(): Promise<void> {
  if (process.getuid?.() !== 0) return;
  await acquireLabLock();
  await radiusLab.down();
  for (const lab of labs) await lab.down();
}

export async function teardown(): Promise<void> {
  if (process.getuid?.() !== 0) return;
  await radiusLab.down();
  for (const lab of labs) await lab.down();
  releaseLabLock();
}
