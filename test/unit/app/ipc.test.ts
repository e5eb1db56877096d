/**
 * The main-side IPC: handlers derived from IPC_METHODS (every method, nothing else), the sender checked before
 * anything runs (foreign origins, sub-frames, other webContents refused with a typed error and a log line),
 * events pushed only after the page asked for its snapshot — against a scripted host and the real FerryService.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IPC_EVENTS, IPC_METHODS, type IpcEvents, type IpcResult, ipcChannel } from '../../../core/api/ipc';
import { isAllowedRequest, isAppUrl } from '../../../main/app/appOrigin';
import { EventForwarder } from '../../../main/app/eventForwarder';
import type { FerryHost } from '../../../main/app/host';
import { REFUSED, registerIpcHandlers } from '../../../main/app/ipcHandlers';
import { checkSender } from '../../../main/app/senderValidation';
import { FerryService } from '../../../main/service/api/ferryService';
import { SettingsStore } from '../../../main/service/api/settingsStore';
import { ProfileStore } from '../../../main/service/profiles/profileStore';
import { managerWorld } from '../service/support';
import { captureLogger, FakeContents, FakeHost, FakeIpcMain, frame, invokeEvent } from './fakes';

const EVENT_SAMPLES: { [E in keyof IpcEvents]: IpcEvents[E] } = {
  profiles: [],
  connection: {
    profileId: 'office',
    state: { kind: 'idle' },
    phases: [],
    counters: null,
    routes: [],
    dns: [],
    reconnect: null,
  },
  mfa: null,
  log: { ts: 1, level: 'info', scope: 'ferry', msg: 'hello', fields: {} },
  settings: { launchAtLogin: true, theme: 'dark' },
};

function wire<H extends FerryHost = FakeHost>(host: H = new FakeHost() as unknown as H) {
  const ipc = new FakeIpcMain();
  const { logger, entries } = captureLogger();
  const window = new FakeContents(7);
  let trusted: number | null = window.id;
  const forwarder = new EventForwarder(host, logger);
  const dispose = registerIpcHandlers({
    ipcMain: ipc,
    host,
    events: forwarder,
    trustedContentsId: () => trusted,
    logger,
  });
  return {
    ipc,
    host,
    window,
    forwarder,
    entries,
    dispose,
    setTrusted: (id: number | null) => {
      trusted = id;
    },
  };
}

describe('app origin', () => {
  it('accepts exactly app://ferry/… as the app and refuses look-alikes', () => {
    expect(isAppUrl('app://ferry/index.html')).toBe(true);
    expect(isAppUrl('app://ferry/')).toBe(true);
    for (const u of [
      'app://ferry.evil/index.html',
      'app://FERRY/index.html',
      'app://ferry:8080/',
      'app://user:pw@ferry/',
      'https://ferry/index.html',
      'file:///index.html',
      'ferry://app/',
      'not a url',
      '',
    ])
      expect(isAppUrl(u), u).toBe(false);
  });

  it('lets the session fetch app files, its own blob: URLs, data: and DevTools only', () => {
    expect(isAllowedRequest('app://ferry/app.js')).toBe(true);
    expect(isAllowedRequest('devtools://devtools/bundled/devtools_app.html')).toBe(true);
    expect(isAllowedRequest('blob:app://ferry/0b9c-11')).toBe(true);
    expect(isAllowedRequest('data:image/png;base64,AAAA')).toBe(true);
    for (const u of [
      'https://example.com/x.js',
      'http://127.0.0.1:9/',
      'ws://127.0.0.1/',
      'file:///etc/passwd',
      'blob:https://example.com/1',
      'chrome://settings',
    ])
      expect(isAllowedRequest(u), u).toBe(false);
  });
});

describe('IPC sender validation', () => {
  const contents = new FakeContents(7);
  it('serves the main frame of the trusted window at the app origin', () => {
    expect(checkSender(invokeEvent(contents), 7)).toEqual({ ok: true });
  });

  it('refuses other origins, sub-frames, other webContents, vanished frames and a missing window', () => {
    const top = frame('app://ferry/index.html');
    expect(checkSender(invokeEvent(contents, frame('https://evil.example/pay?card=1')), 7)).toEqual({
      ok: false,
      reason: 'foreign-origin',
      origin: 'https://evil.example',
    });
    expect(checkSender(invokeEvent(contents, frame('file:///home/u/x.html')), 7)).toMatchObject({
      reason: 'foreign-origin',
      origin: 'file:',
    });
    expect(checkSender(invokeEvent(contents, frame('app://other/index.html')), 7)).toMatchObject({
      reason: 'foreign-origin',
    });
    expect(checkSender(invokeEvent(contents, frame('app://ferry/index.html', top)), 7)).toMatchObject({
      reason: 'sub-frame',
    });
    expect(checkSender(invokeEvent(new FakeContents(8)), 7)).toMatchObject({ reason: 'foreign-contents' });
    expect(checkSender(invokeEvent(contents), null)).toMatchObject({ reason: 'foreign-contents' });
    expect(checkSender(invokeEvent(contents, null), 7)).toEqual({
      ok: false,
      reason: 'no-frame',
      origin: null,
    });
  });
});

describe('IPC handlers', () => {
  it('registers one handler per IPC method on ferry:<method>, derived from the schema, and removes them all', () => {
    const w = wire();
    expect([...w.ipc.handlers.keys()].sort()).toEqual(IPC_METHODS.map((m) => ipcChannel(m)).sort());
    for (const e of IPC_EVENTS) expect(w.ipc.handlers.has(ipcChannel(e))).toBe(false);
    w.dispose();
    expect(w.ipc.handlers.size).toBe(0);
  });

  it('forwards each trusted call’s argument array to the host method and returns its IpcResult', async () => {
    const w = wire();
    w.host.answer = (method, args) => ({ type: 'success', value: { method, args } });
    for (const m of IPC_METHODS) {
      const r = await w.ipc.invoke(ipcChannel(m), invokeEvent(w.window), ['a', 1]);
      expect(r).toEqual({ type: 'success', value: { method: m, args: ['a', 1] } });
    }
    expect(w.host.calls.map((c) => c.method)).toEqual(IPC_METHODS);
  });

  it('refuses a foreign sender with a typed error and one log line, without reaching the host', async () => {
    const w = wire();
    const attempts = [
      invokeEvent(w.window, frame('https://evil.example/steal?token=abc')),
      invokeEvent(w.window, frame('app://ferry/index.html', frame('app://ferry/index.html'))),
      invokeEvent(new FakeContents(99)),
      invokeEvent(w.window, null),
    ];
    for (const e of attempts)
      expect(await w.ipc.invoke('ferry:setSecret', e, ['x', 'psk', 'v'])).toEqual(REFUSED);
    expect(w.host.calls).toEqual([]);
    const refusals = w.entries.filter((e) => e.msg === 'IPC call refused');
    expect(refusals.map((e) => e.fields.reason)).toEqual([
      'foreign-origin',
      'sub-frame',
      'foreign-contents',
      'no-frame',
    ]);
    expect(refusals[0]!.level).toBe('warn');
    expect(refusals[0]!.fields.origin).toBe('https://evil.example');
    expect(JSON.stringify(refusals)).not.toContain('token=abc');
    w.setTrusted(null);
    expect(await w.ipc.invoke('ferry:snapshot', invokeEvent(w.window), [])).toEqual(REFUSED);
  });

  it('a host that throws still answers with an error value', async () => {
    const w = wire();
    w.host.answer = () => {
      throw new Error('disk on fire');
    };
    const r = (await w.ipc.invoke('ferry:snapshot', invokeEvent(w.window), [])) as IpcResult<unknown>;
    expect(r).toEqual({ type: 'error', error: { code: 'internal', message: 'The Ferry service failed.' } });
    expect(w.entries.some((e) => e.msg === 'IPC handler failed' && e.level === 'error')).toBe(true);
  });
});

describe('events to the window', () => {
  it('flow only after the page asked for its snapshot, on ferry:<event>, for every IPC event', async () => {
    const w = wire();
    w.host.emit('log', EVENT_SAMPLES.log);
    await w.ipc.invoke('ferry:connect', invokeEvent(w.window), ['office']);
    w.host.emit('settings', EVENT_SAMPLES.settings);
    expect(w.window.sent).toEqual([]);

    await w.ipc.invoke('ferry:snapshot', invokeEvent(w.window), []);
    for (const e of IPC_EVENTS) w.host.emit(e, EVENT_SAMPLES[e] as never);
    expect(w.window.sent).toEqual(
      IPC_EVENTS.map((e) => ({ channel: ipcChannel(e), payload: EVENT_SAMPLES[e] })),
    );
  });

  it('a refused snapshot opens nothing; a page that went away gets nothing until it asks again', async () => {
    const w = wire();
    const stranger = new FakeContents(99);
    await w.ipc.invoke('ferry:snapshot', invokeEvent(stranger), []);
    w.host.emit('mfa', null);
    expect(stranger.sent).toEqual([]);

    await w.ipc.invoke('ferry:snapshot', invokeEvent(w.window), []);
    w.forwarder.close(w.window.id);
    w.host.emit('mfa', null);
    expect(w.window.sent).toEqual([]);
    await w.ipc.invoke('ferry:snapshot', invokeEvent(w.window), []);
    w.host.emit('mfa', null);
    expect(w.window.sent).toHaveLength(1);
  });

  it('drops destroyed windows, survives a failing send, and unsubscribes from the host on dispose', async () => {
    const w = wire();
    const before = w.host.listenerCount();
    expect(before).toBe(IPC_EVENTS.length);
    await w.ipc.invoke('ferry:snapshot', invokeEvent(w.window), []);
    w.window.throwOnSend = true;
    w.host.emit('profiles', []);
    expect(w.entries.some((e) => e.msg === 'could not push an event to the window')).toBe(true);
    w.window.destroyed = true;
    w.host.emit('profiles', []);
    expect(w.forwarder.isOpen(w.window.id)).toBe(false);
    w.forwarder.dispose();
    expect(w.host.listenerCount()).toBe(0);
  });
});

describe('IPC against the real FerryService', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-app-ipc-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function real() {
    const world = await managerWorld({ secrets: {} });
    const service = await FerryService.create({
      store: new ProfileStore({ userDir: join(dir, 'profiles'), systemDir: null, policyFile: null }),
      manager: world.manager,
      settings: new SettingsStore(join(dir, 'settings.json')),
      version: '9.9.9',
    });
    return { service, ...wire(service) };
  }

  it('validates arguments in the host, saves a profile, stores its secrets and pushes the new list', async () => {
    const w = await real();
    const bad = (await w.ipc.invoke('ferry:setSecret', invokeEvent(w.window), [
      'Not An Id',
      'psk',
      'x',
    ])) as IpcResult<unknown>;
    expect(bad.type === 'error' && bad.error.code).toBe('invalid-argument');
    const notArray = (await w.ipc.invoke(
      'ferry:connect',
      invokeEvent(w.window),
      'office',
    )) as IpcResult<unknown>;
    expect(notArray.type === 'error' && notArray.error.code).toBe('invalid-argument');

    const snap = (await w.ipc.invoke('ferry:snapshot', invokeEvent(w.window), [])) as IpcResult<{
      version: string;
    }>;
    expect(snap.type === 'success' && snap.value.version).toBe('9.9.9');
    const profile = {
      id: 'fake-lns',
      name: 'Fake',
      server: '192.0.2.1',
      userAuth: { username: 'alice' },
      routing: { mode: 'split', subnets: ['10.10.0.0/16'] },
    };
    const saved = (await w.ipc.invoke('ferry:saveProfile', invokeEvent(w.window), [
      profile,
      { psk: 'correct horse', password: 'battery staple' },
    ])) as IpcResult<{ secrets: { psk: boolean; password: boolean } }>;
    expect(saved.type === 'success' && saved.value.secrets).toEqual({
      psk: true,
      password: true,
      clientKey: false,
    });
    const pushed = w.window.sent.filter((s) => s.channel === 'ferry:profiles');
    expect(pushed).toHaveLength(1);
    expect(JSON.stringify(w.window.sent)).not.toMatch(/correct horse|battery staple/);

    const refused = await w.ipc.invoke(
      'ferry:deleteProfile',
      invokeEvent(w.window, frame('https://evil.example/')),
      ['fake-lns'],
    );
    expect(refused).toEqual(REFUSED);
    const views = (await w.service.snapshot()) as IpcResult<{ profiles: unknown[] }>;
    expect(views.type === 'success' && views.value.profiles).toHaveLength(1);
    await w.service.dispose();
  });
});
