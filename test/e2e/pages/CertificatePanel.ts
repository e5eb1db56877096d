/** One certificate import box in the editor (client or CA). */
import type { Locator, Page } from 'playwright-core';

export class CertificatePanel {
  readonly box: Locator;
  constructor(
    readonly page: Page,
    readonly role: 'client' | 'ca',
  ) {
    this.box = page.getByTestId(`cert-${role}`);
  }

  async chooseFile(path: string): Promise<void> {
    await this.box.locator('input[type=file]').setInputFiles(path);
  }

  get format(): Locator {
    return this.box.getByLabel('Format', { exact: true });
  }

  get password(): Locator {
    return this.box.getByLabel('PKCS#12 password', { exact: true });
  }

  async import(): Promise<void> {
    await this.box.getByRole('button', { name: /^Import/ }).click();
  }

  get error(): Locator {
    return this.box.getByTestId(`cert-${this.role}-error`);
  }

  get detailsList(): Locator {
    return this.box.getByTestId(`cert-${this.role}-details`);
  }

  /** The details shown after import, as label → value. */
  async details(): Promise<Record<string, string>> {
    await this.detailsList.waitFor();
    return this.detailsList.evaluate((dl) => {
      const out: Record<string, string> = {};
      const dts = [...dl.querySelectorAll('dt')];
      for (const dt of dts) out[dt.textContent ?? ''] = (dt.nextElementSibling?.textContent ?? '').trim();
      return out;
    });
  }

  /** Warnings under the imported certificate's details (waits for the details). */
  async warnings(): Promise<string[]> {
    await this.detailsList.waitFor();
    return this.box.locator('.cert-details .field-warning').allTextContents();
  }
}
