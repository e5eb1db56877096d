/**
 * `window.ferry` derived from the IPC schema's names over any transport: one async function per IPC method and
 * `on(event, listener)` for the IPC events only, returning an unsubscribe. Nothing generic (no channel names, no
 * raw send/invoke) leaves this function. The Electron preload uses it over ipcRenderer; the browser test harness
 * can use it over HTTP + Server-Sent Events. No imports at run time: it is bundled into sandboxed preloads.
 */
import type { FerryApi, IpcEvent, IpcMethod, IpcResult } from '../../core/api/ipc';

export interface FerryTransport {
  /** Sends one call (the argument array as given) and resolves with the host's IpcResult. May reject. */
  invoke(method: IpcMethod, args: readonly unknown[]): Promise<unknown>;
  /** Delivers every payload of `event` to `deliver` until the returned function is called. */
  subscribe(event: IpcEvent, deliver: (payload: unknown) => void): () => void;
}

export interface FerryNames {
  readonly methods: readonly IpcMethod[];
  readonly events: readonly IpcEvent[];
}

type Listener = (payload: unknown) => void;

/** What a call resolves to when the host could not be reached or answered something that is not an IpcResult. */
export const UNAVAILABLE: IpcResult<never> = Object.freeze({
  type: 'error',
  error: Object.freeze({ code: 'ipc-unavailable', message: 'The Ferry service did not answer.' }),
});

function isIpcResult(v: unknown): v is IpcResult<unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as { type?: unknown; error?: unknown };
  if (r.type === 'success') return 'value' in r;
  return r.type === 'error' && typeof r.error === 'object' && r.error !== null;
}

export function createFerryApi(transport: FerryTransport, names: FerryNames): FerryApi {
  const api: Record<string, unknown> = {};
  for (const method of names.methods) {
    api[method] = async (...args: unknown[]): Promise<IpcResult<unknown>> => {
      try {
        const r = await transport.invoke(method, args);
        return isIpcResult(r) ? r : UNAVAILABLE;
      } catch {
        return UNAVAILABLE;
      }
    };
  }

  // One transport subscription per event, opened on first use, fanned out to the page's listeners.
  const listeners = new Map<IpcEvent, Set<Listener>>(names.events.map((e) => [e, new Set<Listener>()]));
  const unsubscribe = new Map<IpcEvent, () => void>();
  api.on = (event: IpcEvent, listener: Listener): (() => void) => {
    const set = listeners.get(event);
    if (!set) throw new TypeError(`unknown Ferry event "${String(event)}"`);
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    if (!unsubscribe.has(event))
      unsubscribe.set(
        event,
        transport.subscribe(event, (payload) => {
          for (const l of [...set]) {
            try {
              l(payload);
            } catch (e) {
              console.error(`ferry: a listener for "${event}" threw`, e);
            }
          }
        }),
      );
    // A listener registered twice gets its own entry, so each unsubscribe removes exactly one registration.
    const entry: Listener = (payload) => listener(payload);
    set.add(entry);
    return () => {
      if (!set.delete(entry) || set.size > 0) return;
      unsubscribe.get(event)?.();
      unsubscribe.delete(event);
    };
  };
  return Object.freeze(api) as unknown as FerryApi;
}
