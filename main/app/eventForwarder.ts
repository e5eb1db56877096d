/**
 * Pushes host events to the window: every IPC event goes to each webContents whose page has asked for its
 * initial snapshot (the renderer buffers anything that races the snapshot and replays it — whole values or
 * append-only lines). A page that navigates, reloads or crashes is closed until it asks again.
 */
import { IPC_EVENTS, type IpcEvent, ipcChannel } from '../../core/api/ipc';
import type { Logger } from '../../core/common/log';
import type { FerryHost } from './host';
import type { EventTargetPort } from './ports';

export class EventForwarder {
  private readonly targets = new Map<number, EventTargetPort>();
  private readonly offs: (() => void)[] = [];

  constructor(
    host: Pick<FerryHost, 'on'>,
    private readonly logger: Logger,
  ) {
    for (const event of IPC_EVENTS)
      this.offs.push(host.on(event, (payload: unknown) => this.deliver(event, payload)));
  }

  /** The page in `target` took (or is taking) its snapshot: events flow from now on. */
  open(target: EventTargetPort): void {
    this.targets.set(target.id, target);
  }

  /** The page in `targetId` went away (navigation, reload, crash, destroyed): no events until it asks again. */
  close(targetId: number): void {
    this.targets.delete(targetId);
  }

  isOpen(targetId: number): boolean {
    return this.targets.has(targetId);
  }

  dispose(): void {
    for (const off of this.offs.splice(0)) off();
    this.targets.clear();
  }

  private deliver(event: IpcEvent, payload: unknown): void {
    for (const [id, target] of this.targets) {
      if (target.isDestroyed()) {
        this.targets.delete(id);
        continue;
      }
      try {
        target.send(ipcChannel(event), payload);
      } catch (e) {
        this.logger.warn('could not push an event to the window', { event, error: e });
      }
    }
  }
}
