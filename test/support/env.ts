import { execFileSync } from 'node:child_process';
import { describe } from 'vitest';

export const isCI = process.env.CI === 'true' || process.env.CI === '1';

/** Why lab (root + network namespace) tests cannot run here, or null when they can. */
export function labUnavailableReason(): string | null {
  if (process.platform !== 'linux') return `lab tests need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'lab tests need root (network namespaces, veth, TUN)';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'pipe' });
  } catch {
    return "'ip netns' is not usable (install iproute2)";
  }
  return null;
}

/**
 * describe() for tests that need the lab. In CI a missing prerequisite is a failure, never a silent skip;
 * outside CI the suite is skipped and says loudly why.
 */
export function describeLab(name: string, fn: () => void): void {
  describeRequiring(name, labUnavailableReason(), fn);
}

/** describe() that needs something the machine may lack (`reason` says what, null when present); CI fails. */
export function describeRequiring(name: string, reason: string | null, fn: () => void): void {
  if (reason === null) {
    describe(name, fn);
    return;
  }
  if (isCI) {
    describe(name, () => {
      throw new Error(`CI=true but ${reason}`);
    });
    return;
  }
  console.warn(`\n*** SKIPPING suite "${name}": ${reason} ***\n`);
  describe.skip(name, fn);
}
