/** Reads the error/warning/help text a control points at through aria-describedby. */
import type { Locator } from 'playwright-core';

export async function describedText(
  control: Locator,
  suffix: 'error' | 'warning' | 'help',
): Promise<string | null> {
  const ids = (await control.getAttribute('aria-describedby'))?.split(/\s+/) ?? [];
  const id = ids.find((i) => i.endsWith(`-${suffix}`));
  if (!id) return null;
  const page = control.page();
  const el = page.locator(`[id="${id}"]`);
  return (await el.count()) ? ((await el.textContent())?.trim() ?? null) : null;
}
