/**
 * The one main window: created on demand, shown and focused (also when a second instance starts), hidden to the
 * tray when the user closes it — the app keeps running and tunnels stay up — and really closed only once the
 * app is quitting (tray "Quit", the OS's quit, or an update).
 */
import type { WindowPort } from './ports';

export class WindowController<W extends WindowPort> {
  private window: W | null = null;
  private quitting = false;

  constructor(private readonly create: () => W) {}

  /** The live window, creating it if needed. */
  get(): W {
    if (this.window && !this.window.isDestroyed()) return this.window;
    const w = this.create();
    w.on('close', (e) => {
      if (this.quitting) return;
      e.preventDefault();
      w.hide();
    });
    w.on('closed', () => {
      if (this.window === w) this.window = null;
    });
    this.window = w;
    return w;
  }

  /** The window if it exists (never creates one). */
  peek(): W | null {
    return this.window && !this.window.isDestroyed() ? this.window : null;
  }

  show(): void {
    const w = this.get();
    if (w.isMinimized()) w.restore();
    w.show();
    w.focus();
  }

  hide(): void {
    this.peek()?.hide();
  }

  /** Tray click (Windows, macOS): hide a visible window, show a hidden one. */
  toggle(): void {
    const w = this.peek();
    if (w?.isVisible() && !w.isMinimized()) w.hide();
    else this.show();
  }

  isVisible(): boolean {
    return this.peek()?.isVisible() ?? false;
  }

  /** From now on closing the window closes it (the app is quitting). */
  markQuitting(): void {
    this.quitting = true;
  }

  get isQuitting(): boolean {
    return this.quitting;
  }
}
