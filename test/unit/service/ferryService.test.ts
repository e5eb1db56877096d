/**
 * FerryService, the FerryApi the Electron main process will expose: argument validation before any handler,
 * profiles and policy through the store, secrets in (never out), connect/disconnect with events, diagnostics
 * export without secrets, settings persisted.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectionView, IpcEvent, IpcEvents } from '../../../core/api/ipc';
import { FerryService } from '../../../main/service/api/ferryService';
import { SettingsStore } from '../../../main/service/api/settingsStore';
import { ProfileStore } from '../../../main/service/profiles/profileStore';
import { managerWorld, PASSWORD, PSK } from './support';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ferry-service-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function service() {
  const w = await managerWorld({ secrets: {} });
  const store = new ProfileStore({ userDir: join(dir, 'profiles'), systemDir: null, policyFile: null });
  const settings = new SettingsStore(join(dir, 'settings.json'));
  const api = await FerryService.create({ store, manager: w.manager, settings, version: '1.2.3' });
  const events: { event: IpcEvent; payload: unknown }[] = [];
  for (const event of ['profiles', 'connection', 'mfa', 'settings'] as const)
    api.on(event, (payload: IpcEvents[typeof event]) => events.push({ event, payload }));
  return { w, api, store, events };
}

const input = {
  id: 'fake-lns',
  name: 'Fake',
  server: '192.0.2.1',
  userAuth: { username: 'alice' },
  routing: { mode: 'split', subnets: ['10.10.0.0/16'] },
};

describe('FerryService', () => {
  it('validates arguments against the IPC schemas before any handler runs', async () => {
    const { api } = await service();
    expect(await api.invoke('deleteProfile', ['NOT an id'])).toMatchObject({
      type: 'error',
      error: { code: 'invalid-argument' },
    });
    expect(await api.invoke('setSecret', ['fake-lns', 'psk'])).toMatchObject({
      type: 'error',
      error: { code: 'invalid-argument' },
    });
    expect(await api.invoke('answerMfa', ['x', '12ab'])).toMatchObject({
      type: 'error',
      error: { code: 'invalid-argument' },
    });
    expect(await api.invoke('snapshot', [])).toMatchObject({
      type: 'success',
      value: { version: '1.2.3', profiles: [] },
    });
  });

  it('saves a profile with secrets: they go to the store and never come back in a view or event', async () => {
    const { api, w, events } = await service();
    const r = await api.invoke('saveProfile', [input, { psk: PSK, password: PASSWORD }]);
    expect(r).toMatchObject({
      type: 'success',
      value: { managed: false, locked: false, secrets: { psk: true, password: true, clientKey: false } },
    });
    expect(await w.secrets.get('fake-lns', 'psk')).toEqual({ status: 'found', value: PSK });
    const snap = await api.snapshot();
    const text = JSON.stringify([r, snap, events]);
    expect(text).not.toContain(PSK);
    expect(text).not.toContain(PASSWORD);
    expect(events.map((e) => e.event)).toEqual(['profiles']);
    const invalid = await api.invoke('saveProfile', [{ ...input, server: '' }]);
    expect(invalid).toMatchObject({
      type: 'error',
      error: {
        code: 'invalid-profile',
        fields: expect.arrayContaining([expect.objectContaining({ path: 'server' })]),
      },
    });
  });

  it('connect without a stored PSK is refused up front; with secrets it comes up and reports through events', async () => {
    const { api, w, events } = await service();
    await api.saveProfile(input);
    expect(await api.connect('fake-lns')).toMatchObject({
      type: 'error',
      error: { code: 'missing-secret', phase: 'secrets' },
    });
    await api.setSecret('fake-lns', 'psk', PSK);
    await api.setSecret('fake-lns', 'password', PASSWORD);
    expect(await api.connect('fake-lns')).toEqual({ type: 'success', value: null });
    expect(await api.connect('fake-lns')).toMatchObject({ type: 'error', error: { code: 'already-active' } });
    await w.clock.run(
      new Promise<void>((resolve) => {
        const off = w.manager.events.on('connection', (v) => {
          if (v.state.kind !== 'connected') return;
          off();
          resolve();
        });
      }),
    );
    const views = events.filter((e) => e.event === 'connection').map((e) => e.payload as ConnectionView);
    expect(views.at(-1)).toMatchObject({
      profileId: 'fake-lns',
      state: { kind: 'connected' },
      routes: ['10.10.0.0/16 dev ferry0'],
    });
    const diag = await api.diagnostics('fake-lns');
    expect(diag.type === 'success' && diag.value.log.length).toBeGreaterThan(5);
    const exported = await api.exportDiagnostics('fake-lns');
    expect(exported.type === 'success' && exported.value.fileName).toBe('ferry-diagnostics-fake-lns.json');
    const bundle = exported.type === 'success' ? exported.value.text : '';
    expect(bundle).not.toContain(PSK);
    expect(bundle).not.toContain(PASSWORD);
    const done = api.disconnect('fake-lns');
    expect(await w.clock.run(done)).toEqual({ type: 'success', value: null });
    expect((await api.snapshot()).type === 'success').toBe(true);
  });

  it('deleting a profile removes its secrets; unknown ids are not found', async () => {
    const { api, w } = await service();
    await api.saveProfile(input, { psk: PSK, password: PASSWORD });
    expect(await api.deleteProfile('fake-lns')).toEqual({ type: 'success', value: null });
    expect(await w.secrets.has('fake-lns')).toEqual(new Set());
    expect(await api.deleteProfile('fake-lns')).toMatchObject({
      type: 'error',
      error: { code: 'not-found' },
    });
    expect(await api.connect('nope')).toMatchObject({ type: 'error', error: { code: 'not-found' } });
  });

  it('imports and exports .ferry.json; an invalid file comes back with field errors', async () => {
    const { api } = await service();
    const text = `${JSON.stringify({ format: 'ferry-profile', version: 1, profile: input })}\n`;
    expect(await api.importProfileFile(text)).toMatchObject({
      type: 'success',
      value: { profile: { id: 'fake-lns' } },
    });
    expect(await api.exportProfileFile('fake-lns')).toMatchObject({
      type: 'success',
      value: { fileName: 'fake-lns.ferry.json' },
    });
    const bad = await api.importProfileFile('{"format":"ferry-profile","version":1,"profile":{"id":"x"}}');
    expect(bad).toMatchObject({
      type: 'error',
      error: {
        code: 'invalid-profile-file',
        fields: expect.arrayContaining([expect.objectContaining({ path: 'profile.name' })]),
      },
    });
  });

  it('settings persist atomically; a certificate that is not one is refused as such; stale MFA answers are refused', async () => {
    const { api, events } = await service();
    expect(await api.setSettings({ theme: 'dark' })).toEqual({
      type: 'success',
      value: { launchAtLogin: false, theme: 'dark' },
    });
    expect(JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8'))).toEqual({
      launchAtLogin: false,
      theme: 'dark',
    });
    expect(events.at(-1)).toEqual({ event: 'settings', payload: { launchAtLogin: false, theme: 'dark' } });
    const reloaded = new SettingsStore(join(dir, 'settings.json'));
    expect(await reloaded.load()).toEqual({ launchAtLogin: false, theme: 'dark' });
    expect(await api.importCertificate('fake-lns', { format: 'pem', text: 'x', role: 'ca' })).toMatchObject({
      type: 'error',
      error: { code: 'not-a-certificate' },
    });
    expect(await api.answerMfa('otp-123', '123456')).toMatchObject({
      type: 'error',
      error: { code: 'no-prompt' },
    });
  });
});
