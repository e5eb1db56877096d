/**
 * Window and process lifecycle: closing hides to the tray (the app and its tunnels keep running), quitting for
 * real waits for every tunnel to come down (bounded), one instance per session (a second one shows the first's
 * window and hands over the .ferry.json files it was opened with), and those files are imported only after
 * the user agrees.
 */
import { describe, expect, it } from 'vitest';
import type { IpcResult } from '../../../core/api/ipc';
import { importProfileFiles, MAX_PROFILE_FILE, profileFileArgs } from '../../../main/app/profileFiles';
import { QuitController } from '../../../main/app/quitController';
import { claimSingleInstance } from '../../../main/app/singleInstance';
import { WindowController } from '../../../main/app/windowController';
import { FakeClock, flush } from '../../support/deterministic';
import { captureLogger, FakeHost, FakePreventable, FakeWindow } from './fakes';

function windows() {
  const created: FakeWindow[] = [];
  const controller = new WindowController(() => {
    const w = new FakeWindow();
    created.push(w);
    return w;
  });
  return { controller, created };
}

describe('the main window', () => {
  it('hides to the tray when closed while the app runs, and closes for real once quitting', () => {
    const { controller, created } = windows();
    controller.show();
    const w = created[0]!;
    expect(w.calls).toEqual(['show', 'focus']);
    const close = w.userClose();
    expect(close.prevented).toBe(true);
    expect(w.visible).toBe(false);
    expect(w.destroyed).toBe(false);
    expect(controller.peek()).toBe(w);

    controller.markQuitting();
    const last = w.userClose();
    expect(last.prevented).toBe(false);
    expect(w.destroyed).toBe(true);
    expect(controller.peek()).toBeNull();
  });

  it('is created once, restored from minimised and focused on show, toggled from the tray', () => {
    const { controller, created } = windows();
    expect(controller.peek()).toBeNull();
    expect(controller.isVisible()).toBe(false);
    controller.toggle();
    expect(created).toHaveLength(1);
    expect(controller.isVisible()).toBe(true);
    controller.toggle();
    expect(created[0]!.visible).toBe(false);
    created[0]!.minimized = true;
    created[0]!.visible = true;
    controller.toggle();
    expect(created[0]!.calls.slice(-3)).toEqual(['restore', 'show', 'focus']);
    controller.show();
    expect(created).toHaveLength(1);
  });

  it('is recreated after it was destroyed (e.g. closed during a quit that was cancelled)', () => {
    const { controller, created } = windows();
    controller.show();
    controller.markQuitting();
    created[0]!.userClose();
    controller.show();
    expect(created).toHaveLength(2);
    expect(created[1]!.visible).toBe(true);
  });
});

describe('quitting', () => {
  function quitter(shutdown: () => Promise<void>, timeoutMs?: number) {
    const clock = new FakeClock();
    const { logger, entries } = captureLogger();
    let quits = 0;
    let quitting = 0;
    const q = new QuitController({
      app: {
        quit: () => {
          quits++;
        },
      },
      shutdown,
      onQuitting: () => {
        quitting++;
      },
      clock,
      logger,
      ...(timeoutMs ? { timeoutMs } : {}),
    });
    return { q, clock, entries, quits: () => quits, quitting: () => quitting };
  }

  it('holds the first before-quit until every tunnel is down, then quits once', async () => {
    let release!: () => void;
    let shutdowns = 0;
    const t = quitter(() => {
      shutdowns++;
      return new Promise<void>((r) => {
        release = r;
      });
    });
    const first = new FakePreventable();
    t.q.onBeforeQuit(first);
    expect(first.prevented).toBe(true);
    expect(t.q.state).toBe('stopping');
    expect(t.quitting()).toBe(1);
    const again = new FakePreventable();
    t.q.onBeforeQuit(again);
    expect(again.prevented).toBe(true);
    expect(shutdowns).toBe(1);
    await flush();
    expect(t.quits()).toBe(0);
    release();
    await flush();
    expect(t.quits()).toBe(1);
    expect(t.q.state).toBe('done');
    const final = new FakePreventable();
    t.q.onBeforeQuit(final);
    expect(final.prevented).toBe(false);
    expect(t.clock.pendingTimers).toBe(0);
  });

  it('quits after the timeout when a shutdown hangs, and after a shutdown that fails', async () => {
    const hung = quitter(() => new Promise<void>(() => undefined), 5000);
    hung.q.onBeforeQuit(new FakePreventable());
    hung.clock.advanceSync(4999);
    await flush();
    expect(hung.quits()).toBe(0);
    hung.clock.advanceSync(1);
    await flush();
    expect(hung.quits()).toBe(1);
    expect(hung.entries.some((e) => e.msg === 'shutdown timed out; quitting anyway')).toBe(true);

    const failing = quitter(() => Promise.reject(new Error('helper gone')));
    failing.q.onBeforeQuit(new FakePreventable());
    await flush();
    expect(failing.quits()).toBe(1);
    expect(failing.entries.some((e) => e.msg === 'shutdown failed' && e.level === 'error')).toBe(true);
  });

  it('tray Quit: the window closes instead of hiding, and Electron’s quit goes through once tunnels are down', async () => {
    const { controller, created } = windows();
    controller.show();
    let quitsThrough = 0;
    const q: QuitController = new QuitController({
      // Electron's app.quit(): emits before-quit; quitting proceeds unless a listener prevents it.
      app: {
        quit: () => {
          const e = new FakePreventable();
          q.onBeforeQuit(e);
          if (!e.prevented) quitsThrough++;
        },
      },
      shutdown: async () => undefined,
      onQuitting: () => controller.markQuitting(),
      clock: new FakeClock(),
      logger: captureLogger().logger,
    });
    expect(created[0]!.userClose().prevented).toBe(true);
    q.quit();
    expect(controller.isQuitting).toBe(true);
    expect(quitsThrough).toBe(0);
    expect(created[0]!.userClose().prevented).toBe(false);
    await flush();
    expect(quitsThrough).toBe(1);
  });
});

describe('single instance', () => {
  function fakeApp(lock: boolean) {
    let quit = 0;
    const listeners: ((e: unknown, argv: string[], cwd: string) => void)[] = [];
    return {
      app: {
        requestSingleInstanceLock: () => lock,
        quit: () => {
          quit++;
        },
        on: (_e: 'second-instance', l: (e: unknown, argv: string[], cwd: string) => void) =>
          listeners.push(l),
      },
      quits: () => quit,
      listeners,
    };
  }

  it('a second instance quits at once without listening', () => {
    const f = fakeApp(false);
    expect(claimSingleInstance(f.app, () => undefined)).toBe(false);
    expect(f.quits()).toBe(1);
    expect(f.listeners).toHaveLength(0);
  });

  it('the first instance shows its window for each later start and gets its command line', () => {
    const f = fakeApp(true);
    const { controller, created } = windows();
    const handed: string[][] = [];
    expect(
      claimSingleInstance(f.app, (argv, cwd) => {
        controller.show();
        handed.push(profileFileArgs(argv, cwd));
      }),
    ).toBe(true);
    expect(f.quits()).toBe(0);
    controller.show();
    created[0]!.userClose();
    expect(created[0]!.visible).toBe(false);
    f.listeners[0]!({}, ['/opt/Ferry/ferry-vpn', '--hidden', 'office.ferry.json'], '/home/u/Downloads');
    expect(created).toHaveLength(1);
    expect(created[0]!.visible).toBe(true);
    expect(created[0]!.focused).toBe(true);
    expect(handed).toEqual([['/home/u/Downloads/office.ferry.json']]);
  });
});

describe('.ferry.json files from the command line', () => {
  it('finds profile files among paths and file:// URLs, never options, argv[0] or other URLs', () => {
    expect(
      profileFileArgs(
        [
          '/opt/Ferry/ferry-vpn',
          '--hidden',
          '--x=a.ferry.json',
          'A.FERRY.JSON',
          '/tmp/b.ferry.json',
          'file:///home/u/My%20Profiles/c.ferry.json',
          'https://example.com/d.ferry.json',
          'notes.json',
          '/tmp/b.ferry.json',
        ],
        '/home/u',
      ),
    ).toEqual(['/home/u/A.FERRY.JSON', '/tmp/b.ferry.json', '/home/u/My Profiles/c.ferry.json']);
    expect(profileFileArgs(['/path/to/x.ferry.json'], '/')).toEqual([]);
  });

  function importer(answer: (text: string) => IpcResult<unknown>, confirmAll = true) {
    const host = new FakeHost();
    host.answer = (_m, args) => answer((args as string[])[0]!);
    const reports: { file: string; message: string }[] = [];
    const asked: string[] = [];
    const files: Record<string, string | Error> = {
      '/d/good.ferry.json': '{"id":"good"}',
      '/d/bad.ferry.json': '{"id":"BAD"}',
      '/d/huge.ferry.json': 'x'.repeat(MAX_PROFILE_FILE + 1),
      '/d/gone.ferry.json': new Error('ENOENT: no such file'),
    };
    const run = (paths: string[]) =>
      importProfileFiles(paths, {
        host,
        readFile: async (p) => {
          const f = files[p]!;
          if (f instanceof Error) throw f;
          return { size: f.length, text: async () => f };
        },
        confirm: async (name) => {
          asked.push(name);
          return confirmAll;
        },
        report: (file, message) => reports.push({ file, message }),
        logger: captureLogger().logger,
      });
    return { host, reports, asked, run };
  }

  it('imports through the host after the user agrees; reports field errors, size and read failures', async () => {
    const t = importer((text) =>
      text.includes('good')
        ? { type: 'success', value: {} }
        : {
            type: 'error',
            error: {
              code: 'invalid-profile',
              message: 'Not a valid Ferry profile',
              fields: [{ path: 'id', message: 'lower case only' }],
            },
          },
    );
    const outcomes = await t.run([
      '/d/good.ferry.json',
      '/d/bad.ferry.json',
      '/d/huge.ferry.json',
      '/d/gone.ferry.json',
    ]);
    expect(outcomes).toEqual(['imported', 'failed', 'failed', 'failed']);
    expect(t.asked).toEqual(['good.ferry.json', 'bad.ferry.json', 'huge.ferry.json', 'gone.ferry.json']);
    expect(t.host.calls).toEqual([
      { method: 'importProfileFile', args: ['{"id":"good"}'] },
      { method: 'importProfileFile', args: ['{"id":"BAD"}'] },
    ]);
    expect(t.reports).toEqual([
      { file: 'bad.ferry.json', message: 'Not a valid Ferry profile\nid: lower case only' },
      { file: 'huge.ferry.json', message: 'The file is too large to be a Ferry profile.' },
      { file: 'gone.ferry.json', message: 'The file cannot be read.' },
    ]);
  });

  it('imports nothing the user declined', async () => {
    const t = importer(() => ({ type: 'success', value: {} }), false);
    expect(await t.run(['/d/good.ferry.json'])).toEqual(['declined']);
    expect(t.host.calls).toEqual([]);
  });
});
