/**
 * What the preload does, with Electron's preload API injected: exposes `window.ferry`, exactly FerryApi, over
 * ipcRenderer. Each method invokes its own `ferry:<method>` channel; `on(event)` listens on `ferry:<event>` for
 * IPC events only and never hands the page Electron's event object. No raw ipcRenderer, no send(channel).
 */
import { IPC_EVENTS, IPC_METHODS, ipcChannel } from '../../core/api/ipc';
import { createFerryApi, type FerryTransport } from './ferryBridge';

/** The part of Electron's preload API used here (tests pass fakes). */
export interface PreloadElectron {
  readonly contextBridge: { exposeInMainWorld(key: string, api: unknown): void };
  readonly ipcRenderer: {
    invoke(channel: string, ...args: unknown[]): Promise<unknown>;
    on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
    removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  };
}

export function ipcTransport(ipc: PreloadElectron['ipcRenderer']): FerryTransport {
  return {
    invoke: (method, args) => ipc.invoke(ipcChannel(method), args),
    subscribe: (event, deliver) => {
      const channel = ipcChannel(event);
      const listener = (_e: unknown, payload: unknown) => deliver(payload);
      ipc.on(channel, listener);
      return () => {
        ipc.removeListener(channel, listener);
      };
    },
  };
}

export function exposeFerryApi(electron: PreloadElectron): void {
  electron.contextBridge.exposeInMainWorld(
    'ferry',
    createFerryApi(ipcTransport(electron.ipcRenderer), { methods: IPC_METHODS, events: IPC_EVENTS }),
  );
}
