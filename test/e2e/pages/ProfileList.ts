/** The sidebar: one row per profile with its status text and connect toggle. */
import type { Locator, Page } from 'playwright-core';

export class ProfileList {
  readonly nav: Locator;
  constructor(readonly page: Page) {
    this.nav = page.getByRole('navigation', { name: 'Profiles' });
  }

  row(name: string): Locator {
    return this.nav
      .getByRole('listitem')
      .filter({ has: this.page.getByRole('switch', { name: `Connect ${name}`, exact: true }) });
  }

  toggle(name: string): Locator {
    return this.nav.getByRole('switch', { name: `Connect ${name}`, exact: true });
  }

  /** The status line under the profile's name ("Connected", "Connecting — IKE phase 1", "Failed — …"). */
  status(name: string): Locator {
    return this.row(name).getByTestId('profile-status');
  }

  detail(name: string): Locator {
    return this.row(name).locator('.profile-detail');
  }

  async select(name: string): Promise<void> {
    await this.row(name).locator('.profile-select').click();
  }

  names(): Promise<string[]> {
    return this.nav
      .locator('.profile-name')
      .evaluateAll((els) => els.map((e) => e.firstChild?.textContent ?? ''));
  }

  isManaged(name: string): Promise<boolean> {
    return this.row(name)
      .getByText(/\(managed/)
      .count()
      .then((n) => n > 0);
  }
}
