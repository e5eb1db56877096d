/**
 * The main-side IPC handlers, derived from the schema: one `ipcMain.handle(ferry:<method>)` per IPC_METHODS
 * entry, each checking the sender first, then forwarding the call's argument array to the host (which validates
 * it with the method's zod schema). Every answer is an IpcResult, refusals and host failures included.
 * A `snapshot` call from the window opens its event stream (before the snapshot is taken, so nothing is lost).
 */
import { IPC_METHODS, type IpcMethod, type IpcResult, ipcChannel } from '../../core/api/ipc';
import type { Logger } from '../../core/common/log';
import type { EventForwarder } from './eventForwarder';
import type { FerryHost } from './host';
import type { InvokeEventPort, IpcMainPort } from './ports';
import { checkSender } from './senderValidation';

export const REFUSED: IpcResult<never> = Object.freeze({
  type: 'error',
  error: Object.freeze({
    code: 'forbidden-sender',
    message: 'This page may not use the Ferry API.',
  }),
});

export interface IpcHandlerOptions {
  readonly ipcMain: IpcMainPort;
  readonly host: FerryHost;
  readonly events: Pick<EventForwarder, 'open'>;
  /** The webContents id of the main window, or null while there is none. */
  readonly trustedContentsId: () => number | null;
  readonly logger: Logger;
}

/** Registers every handler; returns a function removing them all. */
export function registerIpcHandlers(o: IpcHandlerOptions): () => void {
  const log = o.logger.child('ipc');
  const handler =
    (method: IpcMethod) =>
    async (event: InvokeEventPort, ...rest: unknown[]): Promise<IpcResult<unknown>> => {
      const verdict = checkSender(event, o.trustedContentsId());
      if (!verdict.ok) {
        log.warn('IPC call refused', { method, reason: verdict.reason, origin: verdict.origin });
        return REFUSED;
      }
      if (method === 'snapshot') o.events.open(event.sender);
      try {
        return await o.host.invoke(method, rest[0]);
      } catch (e) {
        log.error('IPC handler failed', { method, error: e });
        return { type: 'error', error: { code: 'internal', message: 'The Ferry service failed.' } };
      }
    };
  for (const method of IPC_METHODS) o.ipcMain.handle(ipcChannel(method), handler(method));
  return () => {
    for (const method of IPC_METHODS) o.ipcMain.removeHandler(ipcChannel(method));
  };
}
