/**
 * The slices of Electron's main-process API that Ferry's app logic uses, as narrow structural interfaces.
 * main.ts passes the real objects (so the compiler checks Electron matches these); unit tests pass fakes.
 * Nothing here imports Electron: the binary cannot run in CI, the logic must not need it.
 */

/** An event whose default action can be prevented (navigation, close, quit, download). */
export interface Preventable {
  preventDefault(): void;
}

/** A frame as IPC sees it (Electron's WebFrameMain). */
export interface FramePort {
  readonly url: string;
  readonly parent: FramePort | null;
}

/** What ipcMain.handle listeners receive (Electron's IpcMainInvokeEvent). */
export interface InvokeEventPort {
  readonly sender: EventTargetPort;
  /** Null once the frame navigated away or was destroyed. */
  readonly senderFrame: FramePort | null;
}

export interface IpcMainPort {
  handle(channel: string, listener: (event: InvokeEventPort, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

/** A webContents as a destination for pushed events. */
export interface EventTargetPort {
  readonly id: number;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
}

export interface WindowOpenDecision {
  readonly action: 'deny';
}

/** The webContents events and hooks the window hardening uses. */
export interface ContentsPort extends EventTargetPort {
  on(
    event: 'will-navigate' | 'will-redirect' | 'will-frame-navigate',
    listener: (event: Preventable & { readonly url?: string }, url?: string) => void,
  ): unknown;
  on(event: 'will-attach-webview', listener: (event: Preventable) => void): unknown;
  on(
    event: 'render-process-gone',
    listener: (event: unknown, details: { readonly reason: string }) => void,
  ): unknown;
  on(
    event: 'did-start-navigation',
    listener: (details: { readonly isMainFrame: boolean; readonly isSameDocument: boolean }) => void,
  ): unknown;
  on(event: 'destroyed', listener: () => void): unknown;
  setWindowOpenHandler(handler: (details: { readonly url: string }) => WindowOpenDecision): void;
}

export interface SessionPort {
  setPermissionRequestHandler(
    handler: ((contents: unknown, permission: string, callback: (granted: boolean) => void) => void) | null,
  ): void;
  setPermissionCheckHandler(handler: ((contents: unknown, permission: string) => boolean) | null): void;
  setDevicePermissionHandler(handler: ((details: unknown) => boolean) | null): void;
  readonly webRequest: {
    onBeforeRequest(
      filter: { urls: string[] },
      listener: (
        details: { readonly url: string },
        callback: (response: { cancel?: boolean }) => void,
      ) => void,
    ): void;
  };
  on(
    event: 'will-download',
    listener: (event: Preventable, item: { getURL(): string; cancel(): void }) => void,
  ): unknown;
}

/** The main window as the window controller uses it. */
export interface WindowPort {
  show(): void;
  hide(): void;
  focus(): void;
  restore(): void;
  isMinimized(): boolean;
  isVisible(): boolean;
  isDestroyed(): boolean;
  on(event: 'close', listener: (event: Preventable) => void): unknown;
  on(event: 'closed', listener: () => void): unknown;
}

export interface TrayPort<Image, Menu> {
  setImage(image: Image): void;
  setToolTip(text: string): void;
  setContextMenu(menu: Menu | null): void;
  on(event: 'click', listener: () => void): unknown;
  destroy(): void;
}

export interface LoginItemSettingsInput {
  openAtLogin: boolean;
  openAsHidden?: boolean;
  path?: string;
  args?: string[];
}

export interface LoginItemPort {
  setLoginItemSettings(settings: LoginItemSettingsInput): void;
  getLoginItemSettings(): { readonly openAtLogin: boolean; readonly wasOpenedAtLogin?: boolean };
}
