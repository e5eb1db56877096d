/** Fakes of the Electron objects main/app/ports.ts describes, recording what the app logic does with them. */
import type { IpcEvent, IpcEvents, IpcMethod, IpcResult } from '../../../core/api/ipc';
import { Emitter } from '../../../core/common/events';
import { createLogger, type LogEntry, type Logger } from '../../../core/common/log';
import type { FerryHost } from '../../../main/app/host';
import type {
  ContentsPort,
  FramePort,
  InvokeEventPort,
  IpcMainPort,
  Preventable,
  SessionPort,
  TrayPort,
  WindowPort,
} from '../../../main/app/ports';

export function captureLogger(): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  return { logger: createLogger({ sinks: [(e) => entries.push(e)] }), entries };
}

export class FakePreventable implements Preventable {
  prevented = false;
  constructor(readonly url?: string) {}
  preventDefault(): void {
    this.prevented = true;
  }
}

type Handler = (event: InvokeEventPort, ...args: unknown[]) => unknown;

export class FakeIpcMain implements IpcMainPort {
  readonly handlers = new Map<string, Handler>();
  handle(channel: string, listener: Handler): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  /** What ipcRenderer.invoke(channel, ...args) from `event`'s frame would resolve to. */
  async invoke(channel: string, event: InvokeEventPort, ...args: unknown[]): Promise<unknown> {
    const h = this.handlers.get(channel);
    if (!h) throw new Error(`No handler registered for '${channel}'`);
    return h(event, ...args);
  }
}

type Listener = (...args: never[]) => unknown;

/** A webContents: records sent events and registered listeners; `emit` plays Electron's part. */
export class FakeContents implements ContentsPort {
  readonly sent: { channel: string; payload: unknown }[] = [];
  readonly listeners = new Map<string, Listener[]>();
  windowOpenHandler: ((details: { readonly url: string }) => { readonly action: 'deny' }) | null = null;
  destroyed = false;
  throwOnSend = false;

  constructor(readonly id: number) {}

  send(channel: string, payload: unknown): void {
    if (this.throwOnSend) throw new Error('Render frame was disposed before WebFrameMain could be accessed');
    this.sent.push({ channel, payload });
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  emit(event: string, ...args: unknown[]): void {
    for (const l of this.listeners.get(event) ?? []) (l as (...a: unknown[]) => unknown)(...args);
  }
  setWindowOpenHandler(handler: (details: { readonly url: string }) => { readonly action: 'deny' }): void {
    this.windowOpenHandler = handler;
  }
}

export const frame = (url: string, parent: FramePort | null = null): FramePort => ({ url, parent });

export const invokeEvent = (
  sender: FakeContents,
  senderFrame: FramePort | null = frame('app://ferry/index.html'),
): InvokeEventPort => ({ sender, senderFrame });

export class FakeSession implements SessionPort {
  permissionRequest: Parameters<SessionPort['setPermissionRequestHandler']>[0] = null;
  permissionCheck: Parameters<SessionPort['setPermissionCheckHandler']>[0] = null;
  devicePermission: Parameters<SessionPort['setDevicePermissionHandler']>[0] = null;
  beforeRequest: {
    filter: { urls: string[] };
    listener: Parameters<SessionPort['webRequest']['onBeforeRequest']>[1];
  } | null = null;
  downloadListener: ((event: Preventable, item: { getURL(): string; cancel(): void }) => void) | null = null;

  setPermissionRequestHandler(h: FakeSession['permissionRequest']): void {
    this.permissionRequest = h;
  }
  setPermissionCheckHandler(h: FakeSession['permissionCheck']): void {
    this.permissionCheck = h;
  }
  setDevicePermissionHandler(h: FakeSession['devicePermission']): void {
    this.devicePermission = h;
  }
  readonly webRequest = {
    onBeforeRequest: (
      filter: { urls: string[] },
      listener: Parameters<SessionPort['webRequest']['onBeforeRequest']>[1],
    ): void => {
      this.beforeRequest = { filter, listener };
    },
  };
  on(_event: 'will-download', listener: NonNullable<FakeSession['downloadListener']>): this {
    this.downloadListener = listener;
    return this;
  }
}

export class FakeWindow implements WindowPort {
  visible = false;
  minimized = false;
  focused = false;
  destroyed = false;
  readonly calls: string[] = [];
  private readonly closeListeners: ((e: Preventable) => void)[] = [];
  private readonly closedListeners: (() => void)[] = [];

  show(): void {
    this.calls.push('show');
    this.visible = true;
  }
  hide(): void {
    this.calls.push('hide');
    this.visible = false;
    this.focused = false;
  }
  focus(): void {
    this.calls.push('focus');
    this.focused = true;
  }
  restore(): void {
    this.calls.push('restore');
    this.minimized = false;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  isVisible(): boolean {
    return this.visible;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  on(event: 'close' | 'closed', listener: ((e: Preventable) => void) | (() => void)): this {
    if (event === 'close') this.closeListeners.push(listener as (e: Preventable) => void);
    else this.closedListeners.push(listener as () => void);
    return this;
  }
  /** The user (or the OS) closes the window: Electron's 'close', then — unless prevented — 'closed'. */
  userClose(): FakePreventable {
    const e = new FakePreventable();
    for (const l of this.closeListeners) l(e);
    if (!e.prevented) {
      this.visible = false;
      this.destroyed = true;
      for (const l of this.closedListeners) l();
    }
    return e;
  }
}

export class FakeTray implements TrayPort<string, unknown> {
  image: string | null = null;
  tooltip: string | null = null;
  menu: unknown = null;
  readonly setCalls: string[] = [];
  clickListeners: (() => void)[] = [];
  destroyed = false;
  setImage(image: string): void {
    this.setCalls.push('image');
    this.image = image;
  }
  setToolTip(text: string): void {
    this.setCalls.push('tooltip');
    this.tooltip = text;
  }
  setContextMenu(menu: unknown): void {
    this.setCalls.push('menu');
    this.menu = menu;
  }
  on(_event: 'click', listener: () => void): this {
    this.clickListeners.push(listener);
    return this;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

type HostEvents = { [E in IpcEvent]: (payload: IpcEvents[E]) => void };

/** A FerryHost whose answers the test scripts; records every call. */
export class FakeHost implements FerryHost {
  readonly emitter = new Emitter<HostEvents>();
  readonly calls: { method: IpcMethod; args: unknown }[] = [];
  answer: (method: IpcMethod, args: unknown) => Promise<IpcResult<unknown>> | IpcResult<unknown> = () => ({
    type: 'success',
    value: null,
  });

  async invoke(method: IpcMethod, args: unknown): Promise<IpcResult<unknown>> {
    this.calls.push({ method, args });
    return this.answer(method, args);
  }
  on<E extends IpcEvent>(event: E, listener: (payload: IpcEvents[E]) => void): () => void {
    return this.emitter.on(event, listener as HostEvents[E]);
  }
  emit<E extends IpcEvent>(event: E, payload: IpcEvents[E]): void {
    (this.emitter.emit as (e: E, p: IpcEvents[E]) => void)(event, payload);
  }
  listenerCount(): number {
    let n = 0;
    const probe = this.emitter as unknown as { listeners: Map<string, Set<unknown>> };
    for (const set of probe.listeners.values()) n += set.size;
    return n;
  }
}
