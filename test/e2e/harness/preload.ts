/**
 * Browser side of the harness: what Electron's preload does with contextBridge, over HTTP. Defines
 * `window.ferry` with exactly the FerryApi shape: one function per IPC method (POST /ipc/<method>, JSON args →
 * IpcResult) and `on(event, listener)` fed by one EventSource on /ipc/events. Bundled to an IIFE by bridge.ts and
 * injected with page.addInitScript before any app script runs. No Node, no imports at run time.
 */

export interface BridgeConfig {
  readonly methods: readonly string[];
  readonly events: readonly string[];
  /** How long a call waits for the event stream to open before going ahead anyway. */
  readonly openTimeoutMs: number;
}

type Listener = (payload: unknown) => void;

export function installFerryBridge(cfg: BridgeConfig): void {
  // Init scripts also run in about:blank and other frames; the bridge only belongs to the harness origin.
  if (location.protocol !== 'http:' || window.top !== window) return;

  const source = new EventSource('/ipc/events');
  const listeners = new Map<string, Set<Listener>>(cfg.events.map((e) => [e, new Set<Listener>()]));
  // Calls wait until the stream is open, so no event that follows a call's effect can be missed.
  const opened = new Promise<void>((resolve) => {
    source.addEventListener('open', () => resolve(), { once: true });
    setTimeout(resolve, cfg.openTimeoutMs);
  });

  for (const [event, set] of listeners) {
    source.addEventListener(event, (m) => {
      const payload: unknown = JSON.parse((m as MessageEvent<string>).data);
      for (const l of [...set]) {
        try {
          l(payload);
        } catch (e) {
          console.error(`ferry bridge: a listener for "${event}" threw`, e);
        }
      }
    });
  }

  const call =
    (method: string) =>
    async (...args: unknown[]): Promise<unknown> => {
      await opened;
      try {
        const res = await fetch(`/ipc/${method}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(args),
        });
        return await res.json();
      } catch {
        return {
          type: 'error',
          error: { code: 'ipc-unavailable', message: 'The Ferry service did not answer.' },
        };
      }
    };

  const api: Record<string, unknown> = {};
  for (const m of cfg.methods) api[m] = call(m);
  api.on = (event: string, listener: Listener): (() => void) => {
    const set = listeners.get(event);
    if (!set) throw new TypeError(`unknown Ferry event "${event}"`);
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  };
  Object.defineProperty(window, 'ferry', {
    value: Object.freeze(api),
    writable: false,
    configurable: false,
    enumerable: true,
  });
}
