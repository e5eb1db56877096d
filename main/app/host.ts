/** What the app shell needs from the process hosting the core: FerryService satisfies it. */
import type { IpcEvent, IpcEvents, IpcMethod, IpcResult } from '../../core/api/ipc';

export interface FerryHost {
  /** Validates `args` (the call's argument array) against the method's schema, then runs it. Never rejects. */
  invoke(method: IpcMethod, args: unknown): Promise<IpcResult<unknown>>;
  on<E extends IpcEvent>(event: E, listener: (payload: IpcEvents[E]) => void): () => void;
}
