/** Applies the light/dark theme to the document; "system" follows prefers-color-scheme live. */
import type { Settings } from '../../core/api/ipc';

export type ResolvedTheme = 'light' | 'dark';

export function resolveTheme(theme: Settings['theme'], systemDark: boolean): ResolvedTheme {
  if (theme === 'system') return systemDark ? 'dark' : 'light';
  return theme;
}

/** Sets `data-theme` on <html> now and whenever the system preference changes; returns a stop function. */
export function applyTheme(theme: Settings['theme']): () => void {
  const mq = window.matchMedia('(prefers-color-scheme: dark)');
  const apply = (): void => {
    const resolved = resolveTheme(theme, mq.matches);
    document.documentElement.dataset.theme = resolved;
  };
  apply();
  if (theme !== 'system') return () => {};
  mq.addEventListener('change', apply);
  return () => mq.removeEventListener('change', apply);
}
