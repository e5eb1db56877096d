/** The app's own settings (launch at login, theme) in `settings.json`, written atomically. */
import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { Settings } from '../../../core/api/ipc';
import { writeFileAtomic } from '../profiles/atomicFile';

export const DEFAULT_SETTINGS: Settings = { launchAtLogin: false, theme: 'system' };

const settingsSchema = z.object({
  launchAtLogin: z.boolean().catch(false),
  theme: z.enum(['system', 'light', 'dark']).catch('system'),
});

export class SettingsStore {
  private current: Settings = DEFAULT_SETTINGS;

  constructor(private readonly path: string | null) {}

  get value(): Settings {
    return this.current;
  }

  /** Reads the file; a missing or broken file gives the defaults (a broken field its default). */
  async load(): Promise<Settings> {
    if (!this.path) return this.current;
    try {
      const r = settingsSchema.safeParse(JSON.parse(await fsp.readFile(this.path, 'utf8')));
      this.current = r.success ? r.data : DEFAULT_SETTINGS;
    } catch {
      this.current = DEFAULT_SETTINGS;
    }
    return this.current;
  }

  async update(patch: Partial<Settings>): Promise<Settings> {
    const next = { ...this.current, ...patch };
    if (this.path) {
      await fsp.mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.path, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
    }
    this.current = next;
    return next;
  }
}
