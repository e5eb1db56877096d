/** The whole window: entry point of the page objects (Mullvad-style), one property per view. */
import type { Download, Locator, Page } from 'playwright-core';
import { CertificatePanel } from './CertificatePanel';
import { DiagnosticsView } from './DiagnosticsView';
import { MfaDialog } from './MfaDialog';
import { ProfileEditor } from './ProfileEditor';
import { ProfileList } from './ProfileList';
import { ProfilePanel } from './ProfilePanel';
import { SettingsView } from './SettingsView';

export class FerryApp {
  readonly list: ProfileList;
  readonly panel: ProfilePanel;
  readonly editor: ProfileEditor;
  readonly mfa: MfaDialog;
  readonly diagnostics: DiagnosticsView;
  readonly settings: SettingsView;
  readonly clientCertificate: CertificatePanel;
  readonly caCertificate: CertificatePanel;

  constructor(readonly page: Page) {
    this.list = new ProfileList(page);
    this.panel = new ProfilePanel(page);
    this.editor = new ProfileEditor(page);
    this.mfa = new MfaDialog(page);
    this.diagnostics = new DiagnosticsView(page);
    this.settings = new SettingsView(page);
    this.clientCertificate = new CertificatePanel(page, 'client');
    this.caCertificate = new CertificatePanel(page, 'ca');
  }

  /** Waits until the first snapshot is rendered. */
  async ready(): Promise<this> {
    await this.page.locator('.app').waitFor();
    return this;
  }

  async newProfile(): Promise<ProfileEditor> {
    await this.page.getByRole('button', { name: 'New profile' }).first().click();
    await this.editor.form.waitFor();
    return this.editor;
  }

  async openSettings(): Promise<SettingsView> {
    await this.page.getByRole('button', { name: 'Settings' }).click();
    return this.settings;
  }

  async importProfile(path: string): Promise<void> {
    await this.page.getByTestId('import-profile-input').setInputFiles(path);
  }

  async exportProfile(): Promise<Download> {
    const [download] = await Promise.all([
      this.page.waitForEvent('download'),
      this.editor.form.getByRole('button', { name: 'Export' }).click(),
    ]);
    return download;
  }

  notice(text: string | RegExp): Locator {
    return this.page
      .getByRole('region', { name: 'Notifications' })
      .locator('.notice')
      .filter({ hasText: text });
  }

  /** The zustand state as JSON (exposed only through the harness's test hooks). */
  storeState(): Promise<string> {
    return this.page.evaluate(() =>
      JSON.stringify(
        (window as unknown as { __ferryStore__: { getState(): unknown } }).__ferryStore__.getState(),
      ),
    );
  }

  /** Every state the store has held since the page loaded, serialised. */
  storeHistory(): Promise<string[]> {
    return this.page.evaluate(() => (window as unknown as { __ferryStates__: string[] }).__ferryStates__);
  }
}
