/** The one door to the host: `window.ferry`, exposed by the preload (Electron) or the test bridge (browser). */
import type { FerryApi } from '../core/api/ipc';
import type { FerryStore } from './store/store';

declare global {
  interface Window {
    readonly ferry?: FerryApi;
    /** Defined only by the browser test harness's init script, never in the app. */
    readonly __ferryTestHooks__?: { onStore?(store: FerryStore): void };
  }
}

export function getFerryApi(): FerryApi | null {
  return window.ferry ?? null;
}
