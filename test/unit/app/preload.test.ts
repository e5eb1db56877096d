/**
 * The preload's window.ferry: exactly FerryApi derived from the schema's names (one function per method, `on`
 * for events only, nothing generic), over ipcRenderer without leaking Electron's event object; and the bundled
 * preload as Electron would run it (sandboxed CommonJS whose only require is "electron").
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type FerryApi, IPC_EVENTS, IPC_METHODS, type IpcEvent, ipcChannel } from '../../../core/api/ipc';
import { buildApp } from '../../../main/app/build';
import { exposeFerryApi, ipcTransport, type PreloadElectron } from '../../../main/preload/expose';
import { createFerryApi, type FerryTransport, UNAVAILABLE } from '../../../main/preload/ferryBridge';

const names = { methods: IPC_METHODS, events: IPC_EVENTS };

function scriptedTransport(answer: (method: string, args: readonly unknown[]) => unknown = () => null) {
  const calls: { method: string; args: readonly unknown[] }[] = [];
  const subs = new Map<IpcEvent, Set<(p: unknown) => void>>();
  let opened = 0;
  const transport: FerryTransport = {
    invoke: async (method, args) => {
      calls.push({ method, args });
      return answer(method, args);
    },
    subscribe: (event, deliver) => {
      opened++;
      const set = subs.get(event) ?? new Set();
      set.add(deliver);
      subs.set(event, set);
      return () => set.delete(deliver);
    },
  };
  const push = (event: IpcEvent, payload: unknown) => {
    for (const d of subs.get(event) ?? []) d(payload);
  };
  const live = () => [...subs.values()].reduce((n, s) => n + s.size, 0);
  return { transport, calls, push, live, opened: () => opened };
}

describe('createFerryApi', () => {
  it('has one function per IPC method plus on(), and nothing else; the object is frozen', () => {
    const api = createFerryApi(scriptedTransport().transport, names) as unknown as Record<string, unknown>;
    expect(Object.keys(api).sort()).toEqual([...IPC_METHODS, 'on'].sort());
    for (const k of Object.keys(api)) expect(typeof api[k]).toBe('function');
    expect(Object.isFrozen(api)).toBe(true);
    expect(() => {
      api.send = () => undefined;
    }).toThrow(TypeError);
  });

  it('passes each call’s arguments as one array to its own method and returns the host’s IpcResult', async () => {
    const t = scriptedTransport((method, args) => ({ type: 'success', value: { method, args } }));
    const api = createFerryApi(t.transport, names);
    const r = await api.setSecret('office', 'psk', 'hunter22');
    expect(r).toEqual({
      type: 'success',
      value: { method: 'setSecret', args: ['office', 'psk', 'hunter22'] },
    });
    await api.snapshot();
    expect(t.calls.map((c) => c.method)).toEqual(['setSecret', 'snapshot']);
    expect(t.calls[1]!.args).toEqual([]);
  });

  it('turns a failed hop or a malformed answer into an ipc-unavailable error value (never a rejection)', async () => {
    const rejecting = createFerryApi(
      { invoke: () => Promise.reject(new Error('gone')), subscribe: () => () => undefined },
      names,
    );
    await expect(rejecting.connect('office')).resolves.toEqual(UNAVAILABLE);
    for (const bogus of [undefined, null, 'ok', { type: 'success' }, { type: 'error' }, { type: 'weird' }]) {
      const api = createFerryApi(scriptedTransport(() => bogus).transport, names);
      await expect(api.disconnect('office')).resolves.toEqual(UNAVAILABLE);
    }
  });

  it('on() accepts only IPC events and functions, fans out one transport subscription, unsubscribes exactly', () => {
    const t = scriptedTransport();
    const api = createFerryApi(t.transport, names);
    expect(() => api.on('bogus' as IpcEvent, () => undefined)).toThrow(/unknown Ferry event "bogus"/);
    expect(() => api.on('profiles', 'nope' as unknown as () => void)).toThrow(/listener must be a function/);
    const a: unknown[] = [];
    const b: unknown[] = [];
    const offA = api.on('profiles', (p) => a.push(p));
    const offB = api.on('profiles', (p) => b.push(p));
    const offB2 = api.on('profiles', (p) => b.push(p));
    expect(t.opened()).toBe(1);
    t.push('profiles', [1]);
    expect(a).toEqual([[1]]);
    expect(b).toEqual([[1], [1]]);
    offB2();
    offB2();
    t.push('profiles', [2]);
    expect(b).toEqual([[1], [1], [2]]);
    offA();
    offB();
    expect(t.live()).toBe(0);
    t.push('profiles', [3]);
    expect(a).toEqual([[1], [2]]);
    api.on('profiles', () => undefined);
    expect(t.opened()).toBe(2);
  });

  it('a throwing listener does not keep the others from the event', () => {
    const t = scriptedTransport();
    const api = createFerryApi(t.transport, names);
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const got: unknown[] = [];
    api.on('log', () => {
      throw new Error('boom');
    });
    api.on('log', (p) => got.push(p));
    t.push('log', 'line');
    expect(got).toEqual(['line']);
    expect(error).toHaveBeenCalledOnce();
    error.mockRestore();
  });
});

function fakeElectron() {
  const exposed = new Map<string, unknown>();
  const invoked: { channel: string; args: unknown[] }[] = [];
  const listeners = new Map<string, Set<(event: unknown, ...args: unknown[]) => void>>();
  const electron: PreloadElectron = {
    contextBridge: {
      exposeInMainWorld: (key, api) => {
        if (exposed.has(key)) throw new Error(`Cannot bind an API on top of an existing property: ${key}`);
        exposed.set(key, api);
      },
    },
    ipcRenderer: {
      invoke: async (channel, ...args) => {
        invoked.push({ channel, args });
        return { type: 'success', value: channel };
      },
      on: (channel, l) => {
        const set = listeners.get(channel) ?? new Set();
        set.add(l);
        listeners.set(channel, set);
      },
      removeListener: (channel, l) => listeners.get(channel)?.delete(l),
    },
  };
  const fire = (channel: string, payload: unknown) => {
    const event = { sender: 'the raw ipcRenderer', senderId: 0 };
    for (const l of listeners.get(channel) ?? []) l(event, payload);
  };
  return { electron, exposed, invoked, listeners, fire };
}

describe('the Electron preload (ipcRenderer transport)', () => {
  it('invokes ferry:<method> with the argument array and listens on ferry:<event>, giving pages the payload only', async () => {
    const f = fakeElectron();
    exposeFerryApi(f.electron);
    expect([...f.exposed.keys()]).toEqual(['ferry']);
    const api = f.exposed.get('ferry') as FerryApi;
    for (const m of IPC_METHODS) {
      const fn = api[m] as (...a: unknown[]) => Promise<unknown>;
      await expect(fn('x', 1)).resolves.toEqual({ type: 'success', value: ipcChannel(m) });
    }
    expect(f.invoked.map((c) => c.channel)).toEqual(IPC_METHODS.map((m) => `ferry:${m}`));
    expect(f.invoked.every((c) => c.args.length === 1 && JSON.stringify(c.args[0]) === '["x",1]')).toBe(true);

    const seen: unknown[][] = [];
    const off = api.on('connection', (...args: unknown[]) => seen.push(args));
    expect([...f.listeners.keys()]).toEqual(['ferry:connection']);
    f.fire('ferry:connection', { profileId: 'office' });
    expect(seen).toEqual([[{ profileId: 'office' }]]);
    off();
    expect(f.listeners.get('ferry:connection')?.size).toBe(0);
  });

  it('ipcTransport maps methods and events to their channels only', async () => {
    const f = fakeElectron();
    const t = ipcTransport(f.electron.ipcRenderer);
    await t.invoke('deleteProfile', ['a']);
    expect(f.invoked).toEqual([{ channel: 'ferry:deleteProfile', args: [['a']] }]);
    const off = t.subscribe('mfa', () => undefined);
    expect([...f.listeners.keys()]).toEqual(['ferry:mfa']);
    off();
    expect(f.listeners.get('ferry:mfa')?.size).toBe(0);
  });
});

describe('the bundled preload (dist/app/preload.cjs)', () => {
  const out = mkdtempSync(join(tmpdir(), 'ferry-preload-'));
  let code = '';
  let requires: readonly string[] = [];
  beforeAll(async () => {
    const report = await buildApp({ outRoot: out, renderer: false });
    requires = report.preloadRequires;
    code = readFileSync(join(out, 'app', 'preload.cjs'), 'utf8');
  }, 60_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('requires only "electron" and carries the schema’s names, not zod or the schemas', () => {
    expect(requires).toEqual(['electron']);
    expect(code).not.toMatch(/zod|safeParse|ZodError/);
    for (const m of IPC_METHODS) expect(code).toContain(`"${ipcChannel(m)}"`);
  });

  it('run as a sandboxed preload runs (CommonJS, a require that knows only electron), it exposes window.ferry', async () => {
    const f = fakeElectron();
    const asked: string[] = [];
    const sandboxRequire = (id: string) => {
      asked.push(id);
      if (id === 'electron') return f.electron;
      throw new Error(`module not found: ${id}`);
    };
    const module = { exports: {} };
    runInNewContext(code, { require: sandboxRequire, module, exports: module.exports, console });
    expect(asked).toEqual(['electron']);
    const api = f.exposed.get('ferry') as Record<string, unknown> & FerryApi;
    expect(Object.keys(api).sort()).toEqual([...IPC_METHODS, 'on'].sort());
    await expect(api.connect('office')).resolves.toEqual({ type: 'success', value: 'ferry:connect' });
    expect(f.invoked).toEqual([{ channel: 'ferry:connect', args: [['office']] }]);
    expect(() => api.on('bogus' as IpcEvent, () => undefined)).toThrow(/unknown Ferry event/);
  });
});
