/**
 * The tray: its state (icon) across every connection situation, one connect toggle per profile with live status,
 * Open and Quit; the icons exist for every state and platform size; clicks toggle the window on Windows and
 * macOS only; the controller follows host events and turns menu clicks into host calls.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConnectionView, IpcResult, ProfileView, Snapshot } from '../../../core/api/ipc';
import type { ConnectionState } from '../../../core/connection/state';
import { parseProfile } from '../../../core/profile/schema';
import { TrayController } from '../../../main/app/trayController';
import {
  clickTogglesWindow,
  menuTemplate,
  TOOLTIP_MAX,
  TRAY_STATES,
  type TrayAction,
  type TrayMenuItem,
  trayIconFiles,
  trayModel,
} from '../../../main/app/trayModel';
import { flush } from '../../support/deterministic';
import { captureLogger, FakeHost, FakeTray } from './fakes';

function view(id: string, name = id): ProfileView {
  const p = parseProfile({
    id,
    name,
    server: 'vpn.example.com',
    userAuth: { username: 'alice' },
    routing: { mode: 'split', subnets: ['10.0.0.0/8'] },
  });
  if (!p.ok) throw new Error(JSON.stringify(p.error));
  return {
    profile: p.value,
    managed: false,
    locked: false,
    secrets: { psk: true, password: true, clientKey: false },
    warnings: [],
  };
}

const STATES: Record<string, ConnectionState> = {
  idle: { kind: 'idle' },
  connecting: { kind: 'connecting', phase: 'ike-phase1' },
  connected: {
    kind: 'connected',
    since: 0,
    addresses: { localIp: '192.168.30.10', peerIp: '192.168.30.1', dns: [], mtu: 1400 },
    algorithms: {},
  },
  disconnecting: { kind: 'disconnecting' },
  byUser: { kind: 'disconnected', reason: 'user' },
  byPeer: { kind: 'disconnected', reason: 'peer' },
  failed: {
    kind: 'failed',
    phase: 'ike-phase1',
    code: 'auth-failed',
    message: 'authentication failed',
    hint: 'check the pre-shared key',
  },
};

function conn(
  profileId: string,
  state: ConnectionState,
  reconnect: ConnectionView['reconnect'] = null,
): ConnectionView {
  return { profileId, state, phases: [], counters: null, routes: [], dns: [], reconnect };
}

const model = (profiles: ProfileView[], connections: ConnectionView[]) =>
  trayModel({ profiles, connections: new Map(connections.map((c) => [c.profileId, c])) });

const toggles = (menu: readonly TrayMenuItem[]) =>
  menu.filter((i): i is Exclude<TrayMenuItem, { type: 'separator' }> => i.type === 'checkbox');

describe('tray model', () => {
  it('maps every connection situation to one of the four icon states', () => {
    const office = view('office');
    const of = (s: ConnectionState, reconnect: ConnectionView['reconnect'] = null) =>
      model([office], [conn('office', s, reconnect)]).state;
    expect(model([office], []).state).toBe('disconnected');
    expect(of(STATES.idle!)).toBe('disconnected');
    expect(of(STATES.byUser!)).toBe('disconnected');
    expect(of(STATES.connecting!)).toBe('connecting');
    expect(of(STATES.disconnecting!)).toBe('connecting');
    expect(of(STATES.connected!)).toBe('connected');
    expect(of(STATES.failed!)).toBe('error');
    expect(of(STATES.byPeer!)).toBe('error');
    expect(of(STATES.failed!, { attempt: 2, inMs: 4000 })).toBe('connecting');
  });

  it('across profiles, an error beats connecting beats connected (as the window header)', () => {
    const ps = [view('a'), view('b'), view('c')];
    expect(model(ps, [conn('a', STATES.connected!), conn('b', STATES.idle!)]).state).toBe('connected');
    expect(model(ps, [conn('a', STATES.connected!), conn('b', STATES.connecting!)]).state).toBe('connecting');
    expect(
      model(ps, [conn('a', STATES.connected!), conn('b', STATES.connecting!), conn('c', STATES.failed!)])
        .state,
    ).toBe('error');
  });

  it('has one toggle per profile with its live status, then Open Ferry and Quit Ferry', () => {
    const ps = [view('home', 'Home'), view('lab', 'Lab'), view('office', 'Office'), view('x', 'X')];
    const m = model(ps, [
      conn('home', STATES.connected!),
      conn('lab', STATES.failed!),
      conn('office', STATES.disconnecting!),
      conn('x', STATES.connecting!),
    ]);
    expect(toggles(m.menu)).toEqual([
      {
        type: 'checkbox',
        label: 'Home',
        sublabel: 'Connected',
        checked: true,
        enabled: true,
        action: { kind: 'disconnect', profileId: 'home' },
      },
      {
        type: 'checkbox',
        label: 'Lab',
        sublabel: 'Failed — IKE phase 1',
        checked: false,
        enabled: true,
        action: { kind: 'connect', profileId: 'lab' },
      },
      {
        type: 'checkbox',
        label: 'Office',
        sublabel: 'Disconnecting…',
        checked: false,
        enabled: false,
        action: { kind: 'connect', profileId: 'office' },
      },
      {
        type: 'checkbox',
        label: 'X',
        sublabel: 'Connecting — IKE phase 1',
        checked: true,
        enabled: true,
        action: { kind: 'disconnect', profileId: 'x' },
      },
    ]);
    expect(m.menu.slice(-4)).toEqual([
      { type: 'separator' },
      { type: 'normal', label: 'Open Ferry', enabled: true, action: { kind: 'open' } },
      { type: 'separator' },
      { type: 'normal', label: 'Quit Ferry', enabled: true, action: { kind: 'quit' } },
    ]);
  });

  it('a pending reconnect shows checked (the toggle cancels it); no profiles shows a disabled placeholder', () => {
    const m = model([view('a')], [conn('a', STATES.failed!, { attempt: 1, inMs: 2000 })]);
    expect(toggles(m.menu)[0]).toMatchObject({
      checked: true,
      action: { kind: 'disconnect', profileId: 'a' },
    });
    expect(model([], []).menu[0]).toEqual({ type: 'normal', label: 'No profiles yet', enabled: false });
  });

  it('says what is up in the tooltip, within the 127 characters Windows shows', () => {
    expect(model([view('a')], []).tooltip).toBe('Ferry — not connected');
    expect(model([view('a', 'Office')], [conn('a', STATES.connected!)]).tooltip).toBe(
      'Ferry — Office: Connected',
    );
    const many = Array.from({ length: 12 }, (_, i) => view(`p${i}`, `Profile number ${i}`));
    const long = model(
      many,
      many.map((p) => conn(p.profile.id, STATES.connecting!)),
    ).tooltip;
    expect(long.length).toBe(TOOLTIP_MAX);
    expect(long.endsWith('…')).toBe(true);
  });

  it('has a 1x and 2x icon in assets/png for every state, at the platform’s size', () => {
    for (const platform of ['linux', 'win32', 'darwin'] as const)
      for (const state of TRAY_STATES) {
        const f = trayIconFiles(state, platform);
        for (const file of [f.x1, f.x2])
          expect(existsSync(join(import.meta.dirname, '../../../assets/png', file)), file).toBe(true);
      }
    expect(trayIconFiles('error', 'linux')).toEqual({ x1: 'tray-error-22.png', x2: 'tray-error-44.png' });
    expect(trayIconFiles('connected', 'win32')).toEqual({
      x1: 'tray-connected-16.png',
      x2: 'tray-connected-32.png',
    });
  });

  it('toggles the window on click on Windows and macOS, not on Linux (status icons only open the menu)', () => {
    expect(clickTogglesWindow('win32')).toBe(true);
    expect(clickTogglesWindow('darwin')).toBe(true);
    expect(clickTogglesWindow('linux')).toBe(false);
  });

  it('builds Electron menu templates: sublabels on macOS, the status in the label elsewhere, clicks to actions', () => {
    const m = model([view('a', 'Office')], [conn('a', STATES.connected!)]);
    const got: TrayAction[] = [];
    const mac = menuTemplate(m.menu, 'darwin', (a) => got.push(a));
    const linux = menuTemplate(m.menu, 'linux', (a) => got.push(a));
    expect(mac[0]).toMatchObject({ type: 'checkbox', label: 'Office', sublabel: 'Connected', checked: true });
    expect(linux[0]).toMatchObject({ type: 'checkbox', label: 'Office — Connected', checked: true });
    expect('sublabel' in linux[0]!).toBe(false);
    expect(mac.filter((i) => i.type === 'separator')).toHaveLength(2);
    for (const item of linux) if (item.type !== 'separator') item.click?.();
    expect(got).toEqual([{ kind: 'disconnect', profileId: 'a' }, { kind: 'open' }, { kind: 'quit' }]);
    expect(JSON.stringify(linux)).not.toContain('action');
  });
});

function controller(platform: NodeJS.Platform, snapshot: Partial<Snapshot> = {}) {
  const host = new FakeHost();
  host.answer = (method) =>
    method === 'snapshot'
      ? ({
          type: 'success',
          value: { profiles: [], connections: [], ...snapshot } as unknown as Snapshot,
        } satisfies IpcResult<Snapshot>)
      : { type: 'success', value: null };
  const tray = new FakeTray();
  const window = { shown: 0, toggled: 0, show: () => window.shown++, toggle: () => window.toggled++ };
  const reports: { title: string; detail: string }[] = [];
  let quits = 0;
  const menus: (readonly TrayMenuItem[])[] = [];
  const actions: ((a: TrayAction) => void)[] = [];
  const c = new TrayController<string, unknown>({
    host,
    tray,
    buildMenu: (items, onAction) => {
      menus.push(items);
      actions.push(onAction);
      return { items };
    },
    image: (state) => `icon:${state}`,
    window,
    quit: () => {
      quits++;
    },
    report: (title, detail) => reports.push({ title, detail }),
    platform,
    logger: captureLogger().logger,
  });
  return { c, host, tray, window, reports, menus, actions, quits: () => quits };
}

describe('tray controller', () => {
  it('renders the snapshot, follows events, and re-renders only what changed', async () => {
    const t = controller('linux', {
      profiles: [view('office', 'Office')],
      connections: [conn('office', STATES.connected!)],
    });
    await t.c.start();
    expect(t.tray.image).toBe('icon:connected');
    expect(t.tray.tooltip).toBe('Ferry — Office: Connected');
    expect(toggles(t.menus.at(-1)!).map((i) => i.sublabel)).toEqual(['Connected']);
    t.tray.setCalls.length = 0;

    t.host.emit('connection', conn('office', STATES.connected!));
    expect(t.tray.setCalls).toEqual([]);
    t.host.emit('connection', conn('office', STATES.failed!));
    expect(t.tray.image).toBe('icon:error');
    expect(t.tray.setCalls.sort()).toEqual(['image', 'menu', 'tooltip']);
    t.host.emit('profiles', [view('office', 'Office'), view('home', 'Home')]);
    expect(toggles(t.menus.at(-1)!).map((i) => i.label)).toEqual(['Office', 'Home']);
    t.host.emit('profiles', []);
    expect(t.tray.image).toBe('icon:disconnected');
    expect(t.menus.at(-1)![0]).toMatchObject({ label: 'No profiles yet' });
    t.c.dispose();
    expect(t.host.listenerCount()).toBe(0);
    expect(t.tray.destroyed).toBe(true);
  });

  it('keeps views that arrived while the snapshot was being taken', async () => {
    const t = controller('linux', { profiles: [view('a')], connections: [conn('a', STATES.idle!)] });
    const answer = t.host.answer;
    t.host.answer = async (m, args) => {
      t.host.emit('connection', conn('a', STATES.connecting!));
      return answer(m, args);
    };
    await t.c.start();
    expect(t.tray.image).toBe('icon:connecting');
  });

  it('clicks toggle the window on Windows and macOS; Linux registers no click handler', async () => {
    for (const platform of ['win32', 'darwin'] as const) {
      const t = controller(platform);
      await t.c.start();
      expect(t.tray.clickListeners).toHaveLength(1);
      t.tray.clickListeners[0]!();
      expect(t.window.toggled).toBe(1);
    }
    const linux = controller('linux');
    await linux.c.start();
    expect(linux.tray.clickListeners).toHaveLength(0);
  });

  it('menu actions: toggles call connect/disconnect, Open shows the window, Quit quits', async () => {
    const t = controller('linux', { profiles: [view('office', 'Office')] });
    await t.c.start();
    const onAction = t.actions.at(-1)!;
    onAction({ kind: 'connect', profileId: 'office' });
    onAction({ kind: 'disconnect', profileId: 'office' });
    await flush();
    expect(t.host.calls.slice(1)).toEqual([
      { method: 'connect', args: ['office'] },
      { method: 'disconnect', args: ['office'] },
    ]);
    onAction({ kind: 'open' });
    expect(t.window.shown).toBe(1);
    onAction({ kind: 'quit' });
    expect(t.quits()).toBe(1);
    expect(t.reports).toEqual([]);
  });

  it('a refused connect is reported with its hint and opens the window to fix it', async () => {
    const t = controller('win32', { profiles: [view('office', 'Office')] });
    await t.c.start();
    t.host.answer = () => ({
      type: 'error',
      error: {
        code: 'missing-secret',
        message: 'No pre-shared key is stored for this profile.',
        hint: 'Edit the profile.',
      },
    });
    await t.c.act({ kind: 'connect', profileId: 'office' });
    expect(t.reports).toEqual([
      {
        title: 'Could not connect Office',
        detail: 'No pre-shared key is stored for this profile. — Edit the profile.',
      },
    ]);
    expect(t.window.shown).toBe(1);
    await t.c.act({ kind: 'disconnect', profileId: 'gone' });
    expect(t.reports.at(-1)!.title).toBe('Could not disconnect');
    expect(t.window.shown).toBe(1);
  });
});
