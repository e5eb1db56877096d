/**
 * The remote FerryApi protocol the app tests use to reach the service in another namespace: calls and events
 * round-trip against the real FerryService (no network: nothing here needs the lab), secrets go in and never
 * come back, and each end refuses what it must — lines that are not JSON, too long, off-schema, unknown calls —
 * without acting on them and without losing the connection.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IpcEvent, IpcResult } from '../../../core/api/ipc';
import { FerryService } from '../../../main/service/api/ferryService';
import { SettingsStore } from '../../../main/service/api/settingsStore';
import { ConnectionManager } from '../../../main/service/connection/manager';
import { ProfileStore } from '../../../main/service/profiles/profileStore';
import { MemorySecretStore } from '../../../main/service/secrets/memory';
import { connectRemoteApi, type RemoteApi } from '../../support/remoteApi/client';
import { type InvokableApi, type RemoteApiHost, serveRemoteApi } from '../../support/remoteApi/host';
import { MAX_LINE_BYTES, PROTOCOL } from '../../support/remoteApi/protocol';

const PSK = 'remote-psk-never-back';
const PASSWORD = 'remote-password-never-back';
const PROFILE = {
  id: 'remote',
  name: 'Remote',
  server: '192.0.2.1',
  userAuth: { username: 'alice' },
  routing: { mode: 'split', subnets: ['10.10.0.0/16'] },
};

let dir: string;
const closers: (() => Promise<void> | void)[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ferry-remote-api-'));
});
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

async function realService(): Promise<{ service: FerryService; secrets: MemorySecretStore }> {
  const secrets = new MemorySecretStore();
  const service = await FerryService.create({
    store: new ProfileStore({ userDir: join(dir, 'profiles'), systemDir: null, policyFile: null }),
    manager: new ConnectionManager({ secrets, network: null }),
    settings: new SettingsStore(join(dir, 'settings.json')),
    version: '9.9.9',
  });
  closers.push(() => service.dispose());
  return { service, secrets };
}

async function hosted(api: InvokableApi): Promise<{ host: RemoteApiHost; remote: RemoteApi; path: string }> {
  const path = join(dir, 'api.sock');
  const host = await serveRemoteApi(api, path);
  closers.push(() => host.close());
  const remote = await connectRemoteApi(path, { callTimeoutMs: 5000 });
  closers.push(() => remote.close());
  return { host, remote, path };
}

/** A raw client: writes bytes, collects the host's lines. */
async function raw(path: string): Promise<{ sock: Socket; lines: () => Record<string, unknown>[] }> {
  const sock = createConnection(path);
  closers.push(() => void sock.destroy());
  let buf = '';
  sock.on('data', (d: Buffer) => {
    buf += d.toString();
  });
  await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
  return {
    sock,
    lines: () =>
      buf
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const until = async (what: string, probe: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('remote FerryApi over a unix socket', () => {
  it('round-trips calls and events against the real FerryService; secrets go in and never come back', async () => {
    const { service, secrets } = await realService();
    const { remote, host } = await hosted(service);
    expect(remote.hostPid).toBe(process.pid);
    const events: { event: IpcEvent; payload: unknown }[] = [];
    remote.api.on('profiles', (payload) => events.push({ event: 'profiles', payload }));
    remote.api.on('settings', (payload) => events.push({ event: 'settings', payload }));

    expect(await remote.api.snapshot()).toMatchObject({
      type: 'success',
      value: { version: '9.9.9', profiles: [], connections: [], mfa: null },
    });
    const saved = await remote.api.saveProfile(PROFILE, { psk: PSK, password: PASSWORD });
    expect(saved).toMatchObject({
      type: 'success',
      value: { profile: { id: 'remote' }, secrets: { psk: true, password: true, clientKey: false } },
    });
    expect(await secrets.get('remote', 'psk')).toEqual({ status: 'found', value: PSK });
    expect(await remote.api.setSettings({ theme: 'dark' })).toEqual({
      type: 'success',
      value: { launchAtLogin: false, theme: 'dark' },
    });
    // Errors survive the hop as values.
    expect(await remote.api.connect('nope')).toMatchObject({ type: 'error', error: { code: 'not-found' } });
    expect(await remote.api.exportDiagnostics('remote')).toMatchObject({
      type: 'error',
      error: { code: 'no-diagnostics' },
    });
    await until('both events', () => events.length >= 2);
    expect(events.map((e) => e.event)).toEqual(['profiles', 'settings']);

    const back = remote.received.join('\n');
    expect(back).not.toContain(PSK);
    expect(back).not.toContain(PASSWORD);
    expect(remote.problems).toEqual([]);
    expect(host.refused).toEqual([]);
  });

  it('the client checks arguments with the IPC schemas before anything is sent', async () => {
    const { service } = await realService();
    const { remote, host } = await hosted(service);
    const sent = remote.received.length;
    const call = remote.api.deleteProfile as unknown as (...a: unknown[]) => Promise<IpcResult<unknown>>;
    expect(await call('NOT an id')).toMatchObject({
      type: 'error',
      error: { code: 'invalid-argument', fields: [expect.objectContaining({ path: '0' })] },
    });
    expect(await (remote.api.answerMfa as unknown as typeof call)('p', '12ab')).toMatchObject({
      type: 'error',
      error: { code: 'invalid-argument' },
    });
    expect(remote.received.length).toBe(sent);
    expect(host.refused).toEqual([]);
  });

  it('the host refuses non-JSON, off-schema, bad-argument and oversized lines, and keeps serving', async () => {
    const { service } = await realService();
    const { host, path } = await hosted(service);
    const c = await raw(path);
    c.sock.write('this is not json\n');
    c.sock.write(`${JSON.stringify({ t: 'invoke', id: 7, method: 'rm -rf', args: [] })}\n`);
    c.sock.write(`${JSON.stringify({ t: 'invoke', id: 8, method: 'snapshot', args: [], extra: 1 })}\n`);
    c.sock.write(`${JSON.stringify({ t: 'invoke', id: 9, method: 'deleteProfile', args: ['../../etc'] })}\n`);
    // One line over the limit, in pieces, then a valid call on the same connection.
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    for (let sent = 0; sent <= MAX_LINE_BYTES; sent += chunk.length) c.sock.write(chunk);
    c.sock.write('\n');
    c.sock.write(`${JSON.stringify({ t: 'invoke', id: 10, method: 'snapshot', args: [] })}\n`);
    await until('the answer to call 10', () => c.lines().some((l) => l.id === 10), 20_000);
    const lines = c.lines();
    expect(lines[0]).toMatchObject({ t: 'hello', protocol: PROTOCOL });
    expect(lines.filter((l) => l.t === 'refused').map((l) => [l.id, l.code])).toEqual([
      [null, 'malformed'],
      [7, 'malformed'],
      [8, 'malformed'],
      [null, 'too-large'],
    ]);
    expect(lines.find((l) => l.id === 9)).toMatchObject({
      t: 'result',
      result: { type: 'error', error: { code: 'invalid-argument' } },
    });
    expect(lines.find((l) => l.id === 10)).toMatchObject({ t: 'result', result: { type: 'success' } });
    expect(host.refused.map((r) => r.code)).toEqual([
      'malformed',
      'malformed',
      'malformed',
      'invalid-argument',
      'too-large',
    ]);
  });

  it('the host never sends an off-schema result or event', async () => {
    const listeners: ((p: unknown) => void)[] = [];
    const liar: InvokableApi = {
      // A snapshot that would leak a secret value where only booleans belong.
      invoke: async () => ({ type: 'success', value: { version: '1', secretValue: PSK } }),
      on: (event, listener) => {
        if (event === 'profiles') listeners.push(listener as (p: unknown) => void);
        return () => undefined;
      },
    };
    const { remote, host } = await hosted(liar);
    const r = await remote.api.snapshot();
    expect(r).toMatchObject({ type: 'error', error: { code: 'invalid-result' } });
    for (const l of listeners)
      l([{ profile: PROFILE, managed: false, locked: false, secrets: { psk: PSK }, warnings: [] }]);
    await until('the host to notice', () => host.refused.length > 0);
    expect(remote.received.join('\n')).not.toContain(PSK);
    expect(host.refused.map((p) => p.code)).toEqual(['invalid-result']);
  });

  it('the client refuses what a broken host sends, and a call still gets its answer', async () => {
    const path = join(dir, 'fake.sock');
    let peer: Socket | null = null;
    const server: Server = createServer((s) => {
      peer = s;
      s.write(`${JSON.stringify({ t: 'hello', protocol: PROTOCOL, pid: 4242 })}\n`);
    });
    await new Promise<void>((r) => server.listen(path, () => r()));
    closers.push(() => new Promise<void>((r) => server.close(() => r())));
    const remote = await connectRemoteApi(path, { callTimeoutMs: 5000 });
    closers.push(() => remote.close());
    expect(remote.hostPid).toBe(4242);
    const seen: unknown[] = [];
    remote.api.on('mfa', (p) => seen.push(p));
    const pending = remote.api.snapshot();
    await until('the request', () => peer !== null);
    const host = peer as unknown as Socket;
    host.write('{"t":"event"\n');
    host.write(`${JSON.stringify({ t: 'event', event: 'mfa', payload: { kind: 'otp', code: '123456' } })}\n`);
    host.write(`${JSON.stringify({ t: 'event', event: 'shell', payload: null })}\n`);
    host.write(`${JSON.stringify({ t: 'result', id: 999, result: { type: 'success', value: null } })}\n`);
    host.write(`${'x'.repeat(MAX_LINE_BYTES + 1)}\n`);
    host.write(`${JSON.stringify({ t: 'event', event: 'mfa', payload: null })}\n`);
    host.write(
      `${JSON.stringify({ t: 'result', id: 1, result: { type: 'error', error: { code: 'x', message: 'y' } } })}\n`,
    );
    expect(await pending).toEqual({ type: 'error', error: { code: 'x', message: 'y' } });
    expect(seen).toEqual([null]);
    expect(remote.problems.map((p) => p.code)).toEqual([
      'malformed',
      'malformed',
      'malformed',
      'unknown-call',
      'too-large',
    ]);
    // The host going away fails pending calls at once.
    const late = remote.api.snapshot();
    await until('the second request', () => true);
    host.destroy();
    expect(await late).toMatchObject({ type: 'error', error: { code: 'ipc-unavailable' } });
  });
});
