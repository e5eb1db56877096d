/** Settings: launch at login, theme. */
import type { Locator, Page } from 'playwright-core';

export class SettingsView {
  constructor(readonly page: Page) {}

  get launchAtLogin(): Locator {
    return this.page.getByRole('switch', { name: 'Launch Ferry at login' });
  }

  async theme(label: 'Same as the system' | 'Light' | 'Dark'): Promise<void> {
    await this.page.getByRole('group', { name: 'Theme' }).getByRole('radio', { name: label }).check();
  }

  /** The theme the document currently shows. */
  appliedTheme(): Promise<string | undefined> {
    return this.page.evaluate(() => document.documentElement.dataset.theme);
  }
}
