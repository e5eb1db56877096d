/** The selected profile: header (status, connect button) and its Status / Diagnostics / Edit tabs. */
import type { Locator, Page } from 'playwright-core';

export class ProfilePanel {
  constructor(readonly page: Page) {}

  get title(): Locator {
    return this.page.locator('#profile-title');
  }

  get status(): Locator {
    return this.page.getByTestId('panel-status');
  }

  get connectButton(): Locator {
    return this.page.locator('.connect-button');
  }

  tab(name: 'Status' | 'Diagnostics' | 'Edit'): Locator {
    return this.page.getByRole('tab', { name });
  }

  async open(name: 'Status' | 'Diagnostics' | 'Edit'): Promise<void> {
    await this.tab(name).click();
  }

  /** The failure callout on the Status tab. */
  get failure(): Locator {
    return this.page.getByTestId('failure');
  }

  get localIp(): Locator {
    return this.page.getByTestId('local-ip');
  }
}
