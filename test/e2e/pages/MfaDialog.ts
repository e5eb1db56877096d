/** The second-factor modal: code entry or waiting for push approval. */
import type { Locator, Page } from 'playwright-core';

export class MfaDialog {
  readonly dialog: Locator;
  constructor(readonly page: Page) {
    this.dialog = page.getByRole('dialog');
  }

  get code(): Locator {
    return this.dialog.getByRole('textbox', { name: 'Verification code' });
  }

  get countdown(): Locator {
    return this.dialog.getByTestId('mfa-countdown');
  }

  get rejected(): Locator {
    return this.dialog.getByTestId('mfa-rejected');
  }

  /** The re-prompt's reason: the core's typed error (message — hint). */
  get rejectedReason(): Locator {
    return this.dialog.getByTestId('mfa-rejected-reason');
  }

  /** The typed error's code on the re-prompt (e.g. mfa-rejected). */
  get rejectedCode(): Locator {
    return this.dialog.getByTestId('mfa-rejected-code');
  }

  get heading(): Locator {
    return this.dialog.getByRole('heading');
  }

  get waiting(): Locator {
    return this.dialog.getByText(/Waiting for approval on your device/);
  }

  get verifyButton(): Locator {
    return this.dialog.getByRole('button', { name: 'Verify' });
  }

  async submit(code: string): Promise<void> {
    await this.code.fill(code);
    await this.verifyButton.click();
  }

  async cancel(): Promise<void> {
    await this.dialog.getByRole('button', { name: 'Cancel' }).click();
  }
}
