/**
 * The app's own host pieces: launch at login per OS (XDG autostart file on Linux, login items elsewhere, started
 * hidden), the FerryService the app hosts (the CLI's paths and FERRY_* overrides, settings next to the
 * profiles), and the 0600 log file.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IpcResult, Snapshot } from '../../../core/api/ipc';
import { createLogger } from '../../../core/common/log';
import { fileSink, LOG_FILE } from '../../../main/app/appLog';
import { createAppService } from '../../../main/app/appService';
import {
  AUTOSTART_FILE,
  applyLaunchAtLogin,
  autostartEntry,
  HIDDEN_ARG,
  quoteExecArg,
  startedAtLogin,
} from '../../../main/app/loginItem';
import type { LoginItemSettingsInput } from '../../../main/app/ports';
import { MemorySecretStore } from '../../../main/service/secrets/memory';
import { captureLogger } from './fakes';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ferry-app-host-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function loginApp(wasOpenedAtLogin = false) {
  const set: LoginItemSettingsInput[] = [];
  return {
    set,
    app: {
      setLoginItemSettings: (s: LoginItemSettingsInput) => set.push(s),
      getLoginItemSettings: () => ({ openAtLogin: set.at(-1)?.openAtLogin ?? false, wasOpenedAtLogin }),
    },
  };
}

const realFs = {
  writeFile: (p: string, t: string) => writeFile(p, t),
  mkdir: async (p: string) => void (await mkdir(p, { recursive: true })),
  rm: (p: string) => rm(p, { force: true }),
};

describe('launch at login', () => {
  it('on Linux writes and removes an XDG autostart entry that starts Ferry hidden', async () => {
    const l = loginApp();
    const env = {
      platform: 'linux' as const,
      app: l.app,
      executable: '/opt/Ferry/ferry-vpn',
      autostartDir: join(dir, 'autostart'),
      fs: realFs,
    };
    await applyLaunchAtLogin(true, env);
    const file = join(dir, 'autostart', AUTOSTART_FILE);
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')).toContain('Exec=/opt/Ferry/ferry-vpn --hidden');
    expect(text.startsWith('[Desktop Entry]\nType=Application\n')).toBe(true);
    await applyLaunchAtLogin(false, env);
    expect(existsSync(file)).toBe(false);
    await applyLaunchAtLogin(false, env);
    expect(l.set).toEqual([]);
  });

  it('quotes Exec per the Desktop Entry spec (spaces, quotes, $, backquotes, backslashes, %)', () => {
    expect(quoteExecArg('/opt/Ferry/ferry-vpn')).toBe('/opt/Ferry/ferry-vpn');
    expect(quoteExecArg('/home/u/Apps/Ferry 1.0.AppImage')).toBe('"/home/u/Apps/Ferry 1.0.AppImage"');
    expect(quoteExecArg('/a/"b"$c`d\\e')).toBe('"/a/\\"b\\"\\$c\\`d\\\\e"');
    expect(autostartEntry('/x/100%/ferry')).toContain('Exec="/x/100%%/ferry" --hidden');
  });

  it('on Windows registers the executable with --hidden; on macOS the app (asked later how it started)', async () => {
    const win = loginApp();
    const base = { executable: 'C:\\Program Files\\Ferry\\Ferry.exe', autostartDir: dir, fs: realFs };
    await applyLaunchAtLogin(true, { ...base, platform: 'win32', app: win.app });
    await applyLaunchAtLogin(false, { ...base, platform: 'win32', app: win.app });
    expect(win.set).toEqual([
      { openAtLogin: true, path: 'C:\\Program Files\\Ferry\\Ferry.exe', args: [HIDDEN_ARG] },
      { openAtLogin: false, path: 'C:\\Program Files\\Ferry\\Ferry.exe', args: [HIDDEN_ARG] },
    ]);
    const mac = loginApp();
    await applyLaunchAtLogin(true, { ...base, platform: 'darwin', app: mac.app });
    expect(mac.set).toEqual([{ openAtLogin: true }]);
  });

  it('a start from the login item shows only the tray', () => {
    expect(startedAtLogin(['/opt/Ferry/ferry-vpn', HIDDEN_ARG], 'linux', loginApp().app)).toBe(true);
    expect(startedAtLogin(['/opt/Ferry/ferry-vpn'], 'linux', loginApp(true).app)).toBe(false);
    expect(
      startedAtLogin(['/Applications/Ferry.app/Contents/MacOS/Ferry'], 'darwin', loginApp(true).app),
    ).toBe(true);
    expect(
      startedAtLogin(['/Applications/Ferry.app/Contents/MacOS/Ferry'], 'darwin', loginApp(false).app),
    ).toBe(false);
  });
});

describe('the app’s FerryService', () => {
  it('uses the CLI’s profile directory and FERRY_* overrides, with settings next to the profiles', async () => {
    const env = {
      FERRY_CONFIG_DIR: join(dir, 'config', 'profiles'),
      FERRY_SYSTEM_DIR: 'none',
      FERRY_POLICY: 'none',
      FERRY_HELPER_SOCKET: join(dir, 'helper.sock'),
    };
    const { service, paths, settingsFile, helperSocket } = await createAppService({
      version: '1.0.0',
      env,
      logger: captureLogger().logger,
      secrets: new MemorySecretStore({}),
      network: null,
    });
    expect(paths).toEqual({ userDir: join(dir, 'config', 'profiles'), systemDir: null, policyFile: null });
    expect(settingsFile).toBe(join(dir, 'config', 'settings.json'));
    expect(helperSocket).toBe(join(dir, 'helper.sock'));
    const snap = (await service.invoke('snapshot', [])) as IpcResult<Snapshot>;
    expect(snap.type === 'success' && snap.value.version).toBe('1.0.0');
    await service.invoke('setSettings', [{ launchAtLogin: true }]);
    expect(JSON.parse(readFileSync(settingsFile, 'utf8'))).toEqual({ launchAtLogin: true, theme: 'system' });
    const saved = await service.invoke('saveProfile', [
      {
        id: 'office',
        name: 'Office',
        server: 'vpn.example.com',
        userAuth: { username: 'alice' },
        routing: { mode: 'full' },
      },
    ]);
    expect(saved.type).toBe('success');
    expect(existsSync(join(dir, 'config', 'profiles'))).toBe(true);
    await service.dispose();
  });
});

describe('the log file', () => {
  it('appends formatted, redacted lines to a 0600 ferry.log', () => {
    const logs = join(dir, 'logs');
    const f = fileSink(logs);
    const logger = createLogger({ sinks: [f.sink], scope: 'ferry.app' });
    logger.redactor.addSecret('hunter22');
    logger.info('started', { psk: 'x', note: 'pw hunter22' });
    logger.warn('second');
    f.close();
    f.sink({ ts: 0, level: 'info', scope: 's', msg: 'after close', fields: {} });
    const text = readFileSync(join(logs, LOG_FILE), 'utf8');
    expect(text.trim().split('\n')).toHaveLength(2);
    expect(text).toContain('ferry.app: started {"psk":"[redacted]","note":"pw [redacted]"}');
    expect(text).not.toContain('hunter22');
    expect(statSync(join(logs, LOG_FILE)).mode & 0o777).toBe(0o600);
  });

  it('a log directory that cannot be created is skipped, not fatal', () => {
    writeFileSync(join(dir, 'a-file'), '');
    const f = fileSink(join(dir, 'a-file', 'logs'));
    expect(() => f.sink({ ts: 0, level: 'error', scope: 's', msg: 'm', fields: {} })).not.toThrow();
    f.close();
  });
});
