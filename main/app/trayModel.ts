/**
 * The tray as data, from the host's state: the icon (disconnected / connecting / connected / error), the tooltip
 * and the menu — one connect toggle per profile with its live status, "Open Ferry", "Quit Ferry". Pure; the
 * wording comes from the same `summarize` the window uses, so tray and window never disagree.
 */
import type { ConnectionView, ProfileView } from '../../core/api/ipc';
import { overallTone, type StatusTone, summarize } from '../../renderer/logic/status';

export type TrayState = 'disconnected' | 'connecting' | 'connected' | 'error';
export const TRAY_STATES: readonly TrayState[] = ['disconnected', 'connecting', 'connected', 'error'];

const STATE_OF_TONE: Readonly<Record<StatusTone, TrayState>> = {
  idle: 'disconnected',
  busy: 'connecting',
  ok: 'connected',
  error: 'error',
};

export type TrayAction =
  | { readonly kind: 'connect' | 'disconnect'; readonly profileId: string }
  | { readonly kind: 'open' }
  | { readonly kind: 'quit' };

export type TrayMenuItem =
  | { readonly type: 'separator' }
  | {
      readonly type: 'normal' | 'checkbox';
      readonly label: string;
      readonly sublabel?: string;
      readonly checked?: boolean;
      readonly enabled: boolean;
      readonly action?: TrayAction;
    };

export interface TrayInput {
  readonly profiles: readonly ProfileView[];
  readonly connections: ReadonlyMap<string, ConnectionView>;
}

export interface TrayModel {
  readonly state: TrayState;
  readonly tooltip: string;
  readonly menu: readonly TrayMenuItem[];
}

/** Windows truncates tray tooltips at 127 characters. */
export const TOOLTIP_MAX = 127;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function trayModel(input: TrayInput): TrayModel {
  const rows = input.profiles.map((p) => ({
    profile: p.profile,
    summary: summarize(input.connections.get(p.profile.id)),
  }));
  const state = STATE_OF_TONE[overallTone(rows.map((r) => r.summary))];

  const active = rows.filter((r) => r.summary.tone !== 'idle');
  const tooltip = clip(
    active.length === 0
      ? 'Ferry — not connected'
      : `Ferry — ${active.map((r) => `${r.profile.name}: ${r.summary.label}`).join('; ')}`,
    TOOLTIP_MAX,
  );

  const menu: TrayMenuItem[] = rows.map(({ profile, summary }) => ({
    type: 'checkbox',
    label: clip(profile.name, 60),
    sublabel: summary.label,
    checked: summary.on,
    enabled: !summary.locked,
    action: { kind: summary.on ? 'disconnect' : 'connect', profileId: profile.id },
  }));
  if (menu.length === 0) menu.push({ type: 'normal', label: 'No profiles yet', enabled: false });
  menu.push(
    { type: 'separator' },
    { type: 'normal', label: 'Open Ferry', enabled: true, action: { kind: 'open' } },
    { type: 'separator' },
    { type: 'normal', label: 'Quit Ferry', enabled: true, action: { kind: 'quit' } },
  );
  return { state, tooltip, menu };
}

/**
 * The PNGs (rendered from assets/*.svg into assets/png/) for a state: 16 px with a 32 px @2x representation on
 * macOS and Windows; 22 px (44 px @2x) on Linux, the size of GNOME/KDE status icons.
 */
export function trayIconFiles(
  state: TrayState,
  platform: NodeJS.Platform,
): { readonly x1: string; readonly x2: string } {
  const [a, b] = platform === 'linux' ? [22, 44] : [16, 32];
  return { x1: `tray-${state}-${a}.png`, x2: `tray-${state}-${b}.png` };
}

/** Where the OS reports tray clicks: Windows and macOS. Linux status icons only open their menu. */
export function clickTogglesWindow(platform: NodeJS.Platform): boolean {
  return platform === 'win32' || platform === 'darwin';
}

/** One Electron MenuItemConstructorOptions, as plain data plus the click handler. */
export type MenuTemplateItem =
  | { readonly type: 'separator' }
  | {
      readonly type: 'normal' | 'checkbox';
      readonly label: string;
      readonly sublabel?: string;
      readonly checked?: boolean;
      readonly enabled: boolean;
      readonly click?: () => void;
    };

/**
 * The template Electron's Menu.buildFromTemplate takes. Only macOS shows a sublabel, so elsewhere the status
 * goes into the label ("Office — Connected").
 */
export function menuTemplate(
  items: readonly TrayMenuItem[],
  platform: NodeJS.Platform,
  onAction: (action: TrayAction) => void,
): MenuTemplateItem[] {
  return items.map((item) => {
    if (item.type === 'separator') return { type: 'separator' };
    const { action, sublabel, ...rest } = item;
    const label = sublabel && platform !== 'darwin' ? `${item.label} — ${sublabel}` : item.label;
    return {
      ...rest,
      label,
      ...(sublabel && platform === 'darwin' ? { sublabel } : {}),
      ...(action ? { click: () => onAction(action) } : {}),
    };
  });
}
