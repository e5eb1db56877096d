/** The Diagnostics tab: timeline, counters, session details, log with filters, export. */
import type { Download, Locator, Page } from 'playwright-core';

export class DiagnosticsView {
  constructor(readonly page: Page) {}

  get timeline(): Locator {
    return this.page.getByTestId('timeline');
  }

  /** A timeline row by phase id (data-phase), e.g. 'ike-phase1'. */
  phase(phase: string): Locator {
    return this.timeline.locator(`tr[data-phase="${phase}"]`);
  }

  /** The cells of a phase row: [phase label, start, duration, result]. */
  async phaseCells(phase: string): Promise<string[]> {
    const row = this.phase(phase);
    return [
      (await row.locator('th').textContent()) ?? '',
      ...(await row.locator('td').allTextContents()),
    ].map((s) => s.trim());
  }

  get hint(): Locator {
    return this.page.getByTestId('phase-hint');
  }

  stat(testId: 'bytes-in' | 'bytes-out' | 'drops'): Locator {
    return this.page.getByTestId(testId);
  }

  get drops(): Locator {
    return this.page.getByTestId('drops-table');
  }

  facts(testId: 'negotiated' | 'assigned'): Promise<Record<string, string>> {
    return this.page.getByTestId(testId).evaluate((dl) => {
      const out: Record<string, string> = {};
      for (const dt of dl.querySelectorAll('dt'))
        out[dt.textContent ?? ''] = (dt.nextElementSibling?.textContent ?? '').trim();
      return out;
    });
  }

  get logLines(): Locator {
    return this.page.getByTestId('log-lines').locator('li');
  }

  async setLevel(
    label: 'Debug and above' | 'Info and above' | 'Warnings and errors' | 'Errors only',
  ): Promise<void> {
    await this.page.getByRole('combobox', { name: 'Level' }).selectOption({ label });
  }

  async filter(text: string): Promise<void> {
    await this.page.getByRole('searchbox', { name: 'Filter' }).fill(text);
  }

  /** Clicks Export and returns the download. */
  async export(): Promise<Download> {
    const [download] = await Promise.all([
      this.page.waitForEvent('download'),
      this.page.getByRole('button', { name: 'Export diagnostics' }).click(),
    ]);
    return download;
  }
}
