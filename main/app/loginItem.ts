/**
 * "Launch at login" (Settings.launchAtLogin): Electron's login items on macOS and Windows, an XDG autostart entry
 * on Linux (Electron has no login items there). Started at login, Ferry comes up hidden in the tray.
 */
import { join } from 'node:path';
import type { LoginItemPort } from './ports';

export const HIDDEN_ARG = '--hidden';
export const AUTOSTART_FILE = 'ferry.desktop';

export interface AutostartFs {
  writeFile(path: string, text: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  /** Removes the file; a missing file is not an error. */
  rm(path: string): Promise<void>;
}

export interface LaunchAtLoginEnv {
  readonly platform: NodeJS.Platform;
  readonly app: LoginItemPort;
  /** The program the OS should start: the app's executable (or the AppImage file, from $APPIMAGE). */
  readonly executable: string;
  /** $XDG_CONFIG_HOME/autostart (Linux). */
  readonly autostartDir: string;
  readonly fs: AutostartFs;
}

/** Quotes one Exec argument per the Desktop Entry Specification ("Exec key"). */
export function quoteExecArg(arg: string): string {
  if (/^[A-Za-z0-9_./:+,=@-]+$/.test(arg)) return arg;
  return `"${arg.replace(/(["`$\\])/g, '\\$1')}"`;
}

/** The autostart entry: a plain Application entry, started hidden. `%` is escaped as the spec requires. */
export function autostartEntry(executable: string): string {
  const exec = [executable, HIDDEN_ARG].map(quoteExecArg).join(' ').replace(/%/g, '%%');
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Ferry',
    'Comment=Ferry VPN in the tray',
    `Exec=${exec}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

export async function applyLaunchAtLogin(enabled: boolean, env: LaunchAtLoginEnv): Promise<void> {
  if (env.platform === 'linux') {
    const file = join(env.autostartDir, AUTOSTART_FILE);
    if (!enabled) return env.fs.rm(file);
    await env.fs.mkdir(env.autostartDir);
    return env.fs.writeFile(file, autostartEntry(env.executable));
  }
  if (env.platform === 'win32') {
    env.app.setLoginItemSettings({ openAtLogin: enabled, path: env.executable, args: [HIDDEN_ARG] });
    return;
  }
  // macOS: the app itself; `wasOpenedAtLogin` tells it to start hidden.
  env.app.setLoginItemSettings({ openAtLogin: enabled });
}

/** Whether this start came from the login item (then only the tray shows). */
export function startedAtLogin(
  argv: readonly string[],
  platform: NodeJS.Platform,
  app: LoginItemPort,
): boolean {
  if (argv.includes(HIDDEN_ARG)) return true;
  return platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin === true;
}
