/**
 * Runs once before the interop suite: removes leftovers of an interrupted earlier run, and on the way out
 * (also after failures) stops every lab server so nothing is left behind.
 */
import { labs } from '../lab/registry';

export async function setup(): Promise<void> {
  if (process.getuid?.() !== 0) return;
  for (const lab of labs) await lab.down();
}

export async function teardown(): Promise<void> {
  if (process.getuid?.() !== 0) return;
  for (const lab of labs) await lab.down();
}
