/** What app tests leave behind and look for: screenshots of the main screens, and secrets where none may be. */
import { mkdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Page } from 'playwright-core';
import { ROOT } from '../clientNamespace';

/** Screenshots of app tests (CI keeps this folder as an artifact). */
export const SCREENSHOT_DIR = join(ROOT, 'test-results', 'screenshots');

export class Screenshots {
  readonly taken: { readonly name: string; readonly path: string; readonly bytes: number }[] = [];

  constructor(
    readonly dir = SCREENSHOT_DIR,
    readonly prefix = '',
  ) {}

  /** A full-page PNG named `<prefix><name>.png`; returns its path. */
  async take(page: Page, name: string): Promise<string> {
    mkdirSync(this.dir, { recursive: true });
    const path = join(this.dir, `${this.prefix}${name}.png`);
    await page.screenshot({ path, fullPage: true, animations: 'disabled' });
    this.taken.push({ name, path, bytes: statSync(path).size });
    return path;
  }

  /** One line per screenshot, relative to the repository, for the test output. */
  listing(): string {
    return this.taken.map((s) => `  ${relative(ROOT, s.path)} (${s.bytes} B)`).join('\n');
  }
}

export interface Secret {
  readonly label: string;
  readonly value: string;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The labels of the secrets that occur in `text`. An all-digit secret (a one-time code) only counts where it is
 * not part of a longer number, so timestamps and counters do not match by chance.
 */
export function leakedSecrets(text: string, secrets: readonly Secret[]): string[] {
  return secrets
    .filter((s) =>
      /^\d+$/.test(s.value)
        ? new RegExp(`(?<![0-9])${escapeRegExp(s.value)}(?![0-9])`).test(text)
        : text.includes(s.value),
    )
    .map((s) => s.label);
}
