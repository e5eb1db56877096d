/**
 * The Electron main process: a thin shell that hands Electron's objects to the modules next to it (each
 * unit-tested with fakes; Electron itself cannot run in CI). Order matters only here: scheme privileges and the
 * sandbox before `ready`, the single-instance lock before anything else, then session hardening, the app
 * protocol, the service, IPC handlers, the tray, the window.
 */
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  Notification,
  nativeImage,
  protocol,
  session,
  Tray,
} from 'electron';
import { systemClock } from '../../core/common/clock';
import { createLogger, type Logger, Redactor } from '../../core/common/log';
import { appFiles } from './appFiles';
import { fileSink, stderrSink } from './appLog';
import { APP_ENTRY, APP_SCHEME, APP_SCHEME_PRIVILEGES } from './appOrigin';
import { serveAppRequest } from './appProtocol';
import { createAppService } from './appService';
import { EventForwarder } from './eventForwarder';
import { registerIpcHandlers } from './ipcHandlers';
import { applyLaunchAtLogin, startedAtLogin } from './loginItem';
import { importProfileFiles, profileFileArgs } from './profileFiles';
import { QuitController } from './quitController';
import { claimSingleInstance } from './singleInstance';
import { TrayController } from './trayController';
import { menuTemplate, type TrayState, trayIconFiles } from './trayModel';
import { WindowController } from './windowController';
import { hardenContents, hardenSession, secureWebPreferences } from './windowSecurity';

export const APP_ID = 'com.ferryvpn.app';

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: APP_SCHEME_PRIVILEGES }]);
app.enableSandbox();

/** Files opened before the app was ready (macOS `open-file` at launch). */
const pendingFiles: string[] = [];
let openFiles: ((paths: readonly string[]) => void) | null = null;
let showWindow: (() => void) | null = null;

app.on('open-file', (event, path) => {
  event.preventDefault();
  if (openFiles) openFiles([path]);
  else pendingFiles.push(path);
});

const primary = claimSingleInstance(app, (argv, cwd) => {
  showWindow?.();
  openFiles?.(profileFileArgs(argv, cwd));
});
if (primary) void start();

async function start(): Promise<void> {
  await app.whenReady();
  if (process.platform === 'win32') app.setAppUserModelId(APP_ID);
  const redactor = new Redactor();
  const logFile = fileSink(app.getPath('logs'));
  const logger = createLogger({
    sinks: [logFile.sink, stderrSink],
    redactor,
    scope: 'ferry.app',
    level: 'info',
  });
  const files = appFiles(app.getAppPath());

  const ses = session.defaultSession;
  hardenSession(ses, logger);
  ses.protocol.handle(APP_SCHEME, async (req) => {
    const r = await serveAppRequest(req, files.renderer, readFile);
    return new Response(r.body && new Uint8Array(r.body), { status: r.status, headers: r.headers });
  });
  app.on('web-contents-created', (_event, contents) => hardenContents(contents, logger));

  const { service } = await createAppService({
    version: app.getVersion(),
    env: process.env,
    logger,
    sinks: [logFile.sink],
    redactor,
  });
  const forwarder = new EventForwarder(service, logger);
  const windows = new WindowController(() => createWindow(files, forwarder, logger));
  registerIpcHandlers({
    ipcMain,
    host: service,
    events: forwarder,
    trustedContentsId: () => windows.peek()?.webContents.id ?? null,
    logger,
  });

  const report = (title: string, detail: string) => {
    if (Notification.isSupported()) new Notification({ title, body: detail }).show();
    else dialog.showErrorBox(title, detail);
  };
  const trayImage = (state: TrayState) => {
    const { x1, x2 } = trayIconFiles(state, process.platform);
    const image = nativeImage.createFromPath(join(files.icons, x1));
    image.addRepresentation({
      scaleFactor: 2,
      dataURL: nativeImage.createFromPath(join(files.icons, x2)).toDataURL(),
    });
    return image;
  };
  const quitter = new QuitController({
    app,
    shutdown: async () => {
      tray.dispose();
      forwarder.dispose();
      await service.dispose();
      logFile.close();
    },
    onQuitting: () => windows.markQuitting(),
    clock: systemClock,
    logger,
  });
  const tray = new TrayController({
    host: service,
    tray: new Tray(trayImage('disconnected')),
    buildMenu: (items, onAction) => Menu.buildFromTemplate(menuTemplate(items, process.platform, onAction)),
    image: trayImage,
    window: windows,
    quit: () => quitter.quit(),
    report,
    platform: process.platform,
    logger,
  });
  app.on('before-quit', (event) => quitter.onBeforeQuit(event));
  // A tray app: closing (hiding) the last window does not quit.
  app.on('window-all-closed', () => undefined);
  app.on('activate', () => windows.show());
  await tray.start();

  const loginEnv = {
    platform: process.platform,
    app,
    executable: process.env.APPIMAGE ?? process.execPath,
    autostartDir: join(process.env.XDG_CONFIG_HOME || join(app.getPath('home'), '.config'), 'autostart'),
    fs: {
      writeFile: (p: string, t: string) => writeFile(p, t, { mode: 0o644 }),
      mkdir: async (p: string) => void (await mkdir(p, { recursive: true })),
      rm: (p: string) => rm(p, { force: true }),
    },
  };
  const applyLogin = (enabled: boolean) =>
    applyLaunchAtLogin(enabled, loginEnv).catch((e: unknown) =>
      logger.warn('launch at login not applied', { error: e }),
    );
  service.on('settings', (s) => void applyLogin(s.launchAtLogin));
  const snap = await service.snapshot();
  if (snap.type === 'success') await applyLogin(snap.value.settings.launchAtLogin);

  showWindow = () => windows.show();
  openFiles = (paths) => {
    if (paths.length === 0) return;
    windows.show();
    void importProfileFiles(paths, {
      host: service,
      readFile: async (p) => ({ size: (await stat(p)).size, text: () => readFile(p, 'utf8') }),
      confirm: async (name) =>
        (
          await dialog.showMessageBox({
            type: 'question',
            buttons: ['Import', 'Cancel'],
            defaultId: 0,
            cancelId: 1,
            message: `Import the Ferry profile “${name}”?`,
            detail:
              'Profile files never contain secrets: you enter the pre-shared key and password in Ferry.',
          })
        ).response === 0,
      report: (name, message) => dialog.showErrorBox(`Cannot import ${name}`, message),
      logger,
    });
  };
  if (!startedAtLogin(process.argv, process.platform, app)) windows.show();
  openFiles([...pendingFiles.splice(0), ...profileFileArgs(process.argv, process.cwd())]);
}

function createWindow(files: ReturnType<typeof appFiles>, forwarder: EventForwarder, logger: Logger) {
  const win = new BrowserWindow({
    width: 1024,
    height: 720,
    minWidth: 800,
    minHeight: 600,
    show: false,
    title: 'Ferry',
    autoHideMenuBar: true,
    ...(process.platform === 'linux' ? { icon: join(files.icons, 'icon-256.png') } : {}),
    webPreferences: secureWebPreferences(files.preload, { devTools: !app.isPackaged }),
  });
  if (process.platform !== 'darwin') win.removeMenu();
  const contents = win.webContents;
  const id = contents.id;
  contents.on('did-start-navigation', (details) => {
    if (details.isMainFrame && !details.isSameDocument) forwarder.close(id);
  });
  contents.on('render-process-gone', (_event, details) => {
    forwarder.close(id);
    logger.error('the window’s renderer went away', { reason: details.reason });
    if (details.reason !== 'clean-exit' && !win.isDestroyed()) contents.reload();
  });
  contents.on('destroyed', () => forwarder.close(id));
  void win.loadURL(APP_ENTRY);
  return win;
}
