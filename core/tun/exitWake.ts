/**
 * A koffi async call blocked in poll() keeps Node from exiting (measured: process.exit() and uncaught
 * exceptions hang until the call returns). Pollers register a wake-up here; the 'exit' handler runs them all.
 */
const wakers = new Set<() => void>();
let installed = false;

export function wakeOnExit(wake: () => void): () => void {
  if (!installed) {
    installed = true;
    process.on('exit', () => {
      for (const w of wakers) {
        try {
          w();
        } catch {
          // exiting anyway
        }
      }
    });
  }
  wakers.add(wake);
  return () => {
    wakers.delete(wake);
  };
}

/** poll() timeout for waiters: long enough to cost nothing, short enough that nothing can hang for long. */
export const POLL_TIMEOUT_MS = 1000;
