/**
 * Secret stores: memory, environment, keytar (against a fake, and for real against gnome-keyring inside a private
 * D-Bus session when the machine has one), the redacting wrapper (values registered the moment they are read)
 * and lookup chains.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger, formatLogEntry, Redactor, RingBufferSink } from '../../../core/common/log';
import { chainSecrets, redactingSecrets } from '../../../main/service/secrets/compose';
import { EnvSecretStore } from '../../../main/service/secrets/env';
import { type KeytarApi, KeytarSecretStore } from '../../../main/service/secrets/keytar';
import { MemorySecretStore } from '../../../main/service/secrets/memory';
import { parseSecretAccount, secretAccount } from '../../../main/service/secrets/types';
import { describeRequiring } from '../../support/env';

function fakeKeytar(opts: { locked?: boolean; broken?: string } = {}) {
  const entries = new Map<string, string>();
  const guard = () => {
    if (opts.broken) throw new Error(opts.broken);
  };
  const api: KeytarApi = {
    getPassword: async (service, account) => {
      guard();
      return opts.locked ? null : (entries.get(`${service}|${account}`) ?? null);
    },
    setPassword: async (service, account, password) => {
      guard();
      entries.set(`${service}|${account}`, password);
    },
    deletePassword: async (service, account) => {
      guard();
      return entries.delete(`${service}|${account}`);
    },
    findCredentials: async (service) => {
      guard();
      return [...entries]
        .filter(([k]) => k.startsWith(`${service}|`))
        .map(([k, password]) => ({ account: k.split('|')[1]!, password }));
    },
  };
  return { api, entries };
}

describe('secret stores', () => {
  it('accounts are <profile id>/<kind> and parse back', () => {
    expect(secretAccount('corp.vpn', 'pkcs12-password')).toBe('corp.vpn/pkcs12-password');
    expect(parseSecretAccount('corp.vpn/pkcs12-password')).toEqual({
      profileId: 'corp.vpn',
      kind: 'pkcs12-password',
    });
    expect(parseSecretAccount('corp/other')).toBeNull();
    expect(parseSecretAccount('/psk')).toBeNull();
  });

  it('memory: set, get, has, delete per profile and kind', async () => {
    const s = new MemorySecretStore({ a: { psk: 'p1' } });
    await s.set('a', 'password', 'w1');
    await s.set('b', 'psk', 'p2');
    expect(await s.get('a', 'psk')).toEqual({ status: 'found', value: 'p1' });
    expect(await s.get('a', 'client-key')).toEqual({ status: 'missing' });
    expect([...(await s.has('a'))].sort()).toEqual(['password', 'psk']);
    expect(await s.delete('a', 'psk')).toBe(true);
    expect(await s.delete('a', 'psk')).toBe(false);
    expect([...(await s.has('b'))]).toEqual(['psk']);
  });

  it('environment: FERRY_PSK / FERRY_PASSWORD for any profile, empty counts as unset, read-only', async () => {
    const s = new EnvSecretStore({ FERRY_PSK: 'envpsk', FERRY_PASSWORD: '' });
    expect(await s.get('any', 'psk')).toEqual({ status: 'found', value: 'envpsk' });
    expect(await s.get('any', 'password')).toEqual({ status: 'missing' });
    expect([...(await s.has('any'))]).toEqual(['psk']);
    await expect(s.set('any', 'psk', 'x')).rejects.toMatchObject({ phase: 'secrets', code: 'read-only' });
  });

  it('keytar: found, a miss that may be a locked keyring, and an unreachable keyring', async () => {
    const { api, entries } = fakeKeytar();
    const s = new KeytarSecretStore(async () => api, 'svc');
    await s.set('corp', 'psk', 'kpsk');
    expect(entries.get('svc|corp/psk')).toBe('kpsk');
    expect(await s.get('corp', 'psk')).toEqual({ status: 'found', value: 'kpsk' });
    expect(await s.get('corp', 'password')).toEqual({ status: 'missing', mayBeLocked: true });
    expect([...(await s.has('corp'))]).toEqual(['psk']);
    expect(await s.delete('corp', 'psk')).toBe(true);

    const locked = new KeytarSecretStore(async () => fakeKeytar({ locked: true }).api);
    expect(await locked.get('corp', 'psk')).toEqual({ status: 'missing', mayBeLocked: true });

    const broken = new KeytarSecretStore(
      async () => fakeKeytar({ broken: 'Cannot autolaunch D-Bus without X11 $DISPLAY' }).api,
    );
    expect(await broken.get('corp', 'psk')).toMatchObject({
      status: 'unavailable',
      reason: expect.stringContaining('D-Bus'),
    });
    await expect(broken.set('corp', 'psk', 'never-in-a-message')).rejects.toMatchObject({
      code: 'keyring-unavailable',
    });
    await broken
      .set('corp', 'psk', 'never-in-a-message')
      .catch((e: Error) => expect(e.message).not.toContain('never-in-a-message'));
    expect(await broken.has('corp')).toEqual(new Set());

    const missing = new KeytarSecretStore(async () =>
      Promise.reject(new Error("Cannot find module 'keytar'")),
    );
    expect(await missing.get('corp', 'psk')).toMatchObject({ status: 'unavailable' });
  });

  it('redactingSecrets registers every value read or written, so logs never show it', async () => {
    const redactor = new Redactor();
    const ring = new RingBufferSink();
    const log = createLogger({ sinks: [ring.sink], redactor });
    const s = redactingSecrets(new MemorySecretStore({ a: { psk: 'read-me-psk' } }), redactor);
    await s.get('a', 'psk');
    await s.set('a', 'password', 'written-pw');
    log.info('oops: read-me-psk and written-pw leaked into a message', { note: 'written-pw' });
    const text = ring.snapshot().map(formatLogEntry).join('\n');
    expect(text).not.toContain('read-me-psk');
    expect(text).not.toContain('written-pw');
    expect(text).toContain('[redacted]');
  });

  it('chainSecrets: first found wins; a miss explains itself (unavailable > maybe locked > missing)', async () => {
    const env = new EnvSecretStore({ FERRY_PSK: 'from-env' });
    const keyring = new KeytarSecretStore(async () => fakeKeytar({ locked: true }).api);
    const broken = new KeytarSecretStore(async () => fakeKeytar({ broken: 'no bus' }).api);
    const mem = new MemorySecretStore({ a: { password: 'from-mem' } });
    const s = chainSecrets([env, keyring, mem]);
    expect(await s.get('a', 'psk')).toEqual({ status: 'found', value: 'from-env' });
    expect(await s.get('a', 'password')).toEqual({ status: 'found', value: 'from-mem' });
    expect(await s.get('a', 'client-key')).toEqual({ status: 'missing', mayBeLocked: true });
    expect(await chainSecrets([mem, broken]).get('a', 'psk')).toMatchObject({ status: 'unavailable' });
    expect([...(await s.has('a'))].sort()).toEqual(['password', 'psk']);
    expect(s.label).toBe('environment, then OS keyring, then memory');
  });
});

const keyringTools = ['/usr/bin/dbus-run-session', '/usr/bin/gnome-keyring-daemon'].every((p) =>
  existsSync(p),
);

describeRequiring(
  'keytar against a real gnome-keyring (private D-Bus session)',
  keyringTools
    ? null
    : 'dbus-run-session or gnome-keyring-daemon is missing (scripts/setup.sh installs them)',
  () => {
    it('stores, finds, lists and deletes a secret; unreachable without a session bus', () => {
      const dir = mkdtempSync(join(tmpdir(), 'ferry-keytar-'));
      try {
        const script = join(dir, 'probe.mts');
        const store = JSON.stringify(join(process.cwd(), 'main/service/secrets/keytar.ts'));
        writeFileSync(
          script,
          `import { KeytarSecretStore } from ${store};
const s = new KeytarSecretStore(undefined, 'ferry-unit-test');
const out = [await s.get('p1', 'psk')];
await s.set('p1', 'psk', 'real-keyring-secret');
out.push(await s.get('p1', 'psk'), [...(await s.has('p1'))], await s.delete('p1', 'psk'), await s.get('p1', 'psk'));
console.log('RESULT ' + JSON.stringify(out));`,
        );
        const node = `${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(script)}`;
        const r = spawnSync(
          'dbus-run-session',
          [
            '--',
            'sh',
            '-c',
            `printf unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; ${node}`,
          ],
          {
            cwd: process.cwd(),
            encoding: 'utf8',
            timeout: 60_000,
            env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir },
          },
        );
        const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
        expect(line, r.stderr).toBeDefined();
        expect(JSON.parse(line!.slice(7))).toEqual([
          { status: 'missing', mayBeLocked: true },
          { status: 'found', value: 'real-keyring-secret' },
          ['psk'],
          true,
          { status: 'missing', mayBeLocked: true },
        ]);
        // Without any session bus keytar cannot reach a keyring: reported as unavailable, never thrown.
        const env: NodeJS.ProcessEnv = { ...process.env, HOME: dir };
        delete env.DBUS_SESSION_BUS_ADDRESS;
        const noBus = execFileSync(
          process.execPath,
          [
            '--import',
            'tsx',
            '--input-type=module',
            '-e',
            `import { KeytarSecretStore } from ${store}; console.log(JSON.stringify(await new KeytarSecretStore(undefined, 'x').get('p', 'psk')));`,
          ],
          { cwd: process.cwd(), encoding: 'utf8', env, timeout: 30_000 },
        );
        expect(JSON.parse(noBus)).toMatchObject({ status: 'unavailable' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
