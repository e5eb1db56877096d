/** The profile editor (new or existing): labelled inputs, inline errors, secrets, save. */
import type { Locator, Page } from 'playwright-core';
import { describedText } from './describedBy';

export class ProfileEditor {
  readonly form: Locator;
  constructor(readonly page: Page) {
    this.form = page.locator('form.profile-editor');
  }

  /** An input by its exact label text. */
  field(label: string): Locator {
    return this.form.getByLabel(label, { exact: true });
  }

  async fill(label: string, value: string): Promise<void> {
    await this.field(label).fill(value);
  }

  /** Fills and leaves the field (inline validation shows once a field was left). */
  async enter(label: string, value: string): Promise<void> {
    await this.field(label).fill(value);
    await this.field(label).blur();
  }

  errorOf(label: string): Promise<string | null> {
    return describedText(this.field(label), 'error');
  }

  warningOf(label: string): Promise<string | null> {
    return describedText(this.field(label), 'warning');
  }

  group(legend: string): Locator {
    return this.form.getByRole('group', { name: legend, exact: true });
  }

  groupError(legend: string): Promise<string | null> {
    return describedText(this.group(legend), 'error');
  }

  groupWarning(legend: string): Promise<string | null> {
    return describedText(this.group(legend), 'warning');
  }

  async choose(groupLegend: string, option: string): Promise<void> {
    await this.group(groupLegend).getByRole('radio', { name: option }).check();
  }

  method(name: 'MS-CHAPv2' | 'EAP' | 'CHAP (MD5)' | 'PAP'): Locator {
    return this.group('Allowed methods').getByRole('checkbox', {
      name: new RegExp(`^${name.replace(/[()]/g, '\\$&')}`),
    });
  }

  switch(label: string): Locator {
    return this.form.getByRole('switch', { name: label, exact: true });
  }

  async showAlgorithms(): Promise<void> {
    const details = this.form.locator('details.advanced');
    if (!(await details.evaluate((d) => (d as HTMLDetailsElement).open)))
      await details.locator('summary').click();
  }

  /** "Stored in keychain" for the PSK or password. */
  stored(id: 'psk' | 'password'): Locator {
    return this.form.getByTestId(`${id}-stored`);
  }

  get errorSummary(): Locator {
    return this.form.getByTestId('form-errors');
  }

  get saveButton(): Locator {
    return this.form.getByRole('button', { name: /^(Save|Create profile)$/ });
  }

  async save(): Promise<void> {
    await this.saveButton.click();
  }

  get lockedBanner(): Locator {
    return this.form.getByTestId('locked-banner');
  }
}
