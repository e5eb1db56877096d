/**
 * Keeps the tray in step with the host: takes one snapshot, then follows `profiles` and `connection` events
 * (directly from the host, whether or not the window is open), and re-renders icon, tooltip and menu when the
 * model changes. Menu clicks become host calls; a refused connect is reported, and the window opened so the
 * user can fix it (e.g. enter the missing pre-shared key).
 */
import type { ConnectionView, IpcResult, ProfileView, Snapshot } from '../../core/api/ipc';
import type { Logger } from '../../core/common/log';
import type { FerryHost } from './host';
import type { TrayPort } from './ports';
import {
  clickTogglesWindow,
  type TrayAction,
  type TrayMenuItem,
  type TrayModel,
  type TrayState,
  trayModel,
} from './trayModel';

export interface TrayControllerOptions<Image, Menu> {
  readonly host: FerryHost;
  readonly tray: TrayPort<Image, Menu>;
  /** Builds the platform menu; `onAction` runs when an item with an action is clicked. */
  readonly buildMenu: (items: readonly TrayMenuItem[], onAction: (action: TrayAction) => void) => Menu;
  readonly image: (state: TrayState) => Image;
  readonly window: { show(): void; toggle(): void };
  readonly quit: () => void;
  /** Tells the user a tray action failed. */
  readonly report: (title: string, detail: string) => void;
  readonly platform: NodeJS.Platform;
  readonly logger: Logger;
}

export class TrayController<Image, Menu> {
  private profiles: readonly ProfileView[] = [];
  /** An event already brought a newer list than the snapshot being taken. */
  private profilesFromEvent = false;
  private readonly connections = new Map<string, ConnectionView>();
  private rendered: { state: TrayState; tooltip: string; menu: string } | null = null;
  private readonly offs: (() => void)[] = [];

  constructor(private readonly o: TrayControllerOptions<Image, Menu>) {}

  async start(): Promise<void> {
    this.offs.push(
      this.o.host.on('profiles', (p) => {
        this.profiles = p;
        this.profilesFromEvent = true;
        this.render();
      }),
      this.o.host.on('connection', (c) => {
        this.connections.set(c.profileId, c);
        this.render();
      }),
    );
    const r = (await this.o.host.invoke('snapshot', [])) as IpcResult<Snapshot>;
    if (r.type === 'success') {
      if (!this.profilesFromEvent) this.profiles = r.value.profiles;
      // Views that arrived while the snapshot was taken are newer than the snapshot's.
      for (const c of r.value.connections)
        if (!this.connections.has(c.profileId)) this.connections.set(c.profileId, c);
    } else {
      this.o.logger.warn('tray: no snapshot', { code: r.error.code });
    }
    if (clickTogglesWindow(this.o.platform)) this.o.tray.on('click', () => this.o.window.toggle());
    this.render();
  }

  /** The model as last rendered (for diagnostics and tests). */
  model(): TrayModel {
    return trayModel({ profiles: this.profiles, connections: this.connections });
  }

  dispose(): void {
    for (const off of this.offs.splice(0)) off();
    this.o.tray.destroy();
  }

  private render(): void {
    const m = this.model();
    const menu = JSON.stringify(m.menu);
    const prev = this.rendered;
    if (prev?.state !== m.state) this.o.tray.setImage(this.o.image(m.state));
    if (prev?.tooltip !== m.tooltip) this.o.tray.setToolTip(m.tooltip);
    if (prev?.menu !== menu) this.o.tray.setContextMenu(this.o.buildMenu(m.menu, (a) => void this.act(a)));
    this.rendered = { state: m.state, tooltip: m.tooltip, menu };
  }

  /** Runs a menu action; resolves when the host answered. */
  async act(action: TrayAction): Promise<void> {
    switch (action.kind) {
      case 'open':
        this.o.window.show();
        return;
      case 'quit':
        this.o.quit();
        return;
      case 'connect':
      case 'disconnect': {
        const r = (await this.o.host.invoke(action.kind, [action.profileId])) as IpcResult<null>;
        if (r.type === 'success') return;
        const name = this.profiles.find((p) => p.profile.id === action.profileId)?.profile.name;
        const title = `${action.kind === 'connect' ? 'Could not connect' : 'Could not disconnect'}${name ? ` ${name}` : ''}`;
        this.o.report(title, r.error.hint ? `${r.error.message} — ${r.error.hint}` : r.error.message);
        if (action.kind === 'connect') this.o.window.show();
        return;
      }
    }
  }
}
