import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createLogger, type LogEntry } from '../../../core/common/log';
import { parseHelperArgs, platformProblem, WINDOWS_PIPE } from '../../../main/helper/config';
import {
  ERROR_FAILED_SERVICE_CONTROLLER_CONNECT,
  encodeServiceStatus,
  runService,
  type ScmApi,
  SERVICE_CONTROL_INTERROGATE,
  SERVICE_CONTROL_SHUTDOWN,
  SERVICE_CONTROL_STOP,
  WINDOWS_SERVICE_NAME,
} from '../../../main/helper/win32/serviceControl';
import { nsisServiceCommand } from '../build/builderSupport';

/** A fake SCM: runs ServiceMain when asked, records every SetServiceStatus as its seven DWORDs. */
function fakeScm(opts: { dispatcherError?: number; registerFails?: boolean } = {}) {
  const statuses: number[][] = [];
  const calls: string[] = [];
  let handler: ((c: number) => number) | null = null;
  let serviceMain: (() => void) | null = null;
  let finish: ((ok: boolean, e: number) => void) | null = null;
  const scm: ScmApi = {
    startDispatcher: (name, main, done) => {
      calls.push(`StartServiceCtrlDispatcherW ${name}`);
      if (opts.dispatcherError) return done(false, opts.dispatcherError);
      serviceMain = main;
      finish = done;
    },
    registerHandler: (name, h) => {
      calls.push(`RegisterServiceCtrlHandlerExW ${name}`);
      if (opts.registerFails) return null;
      handler = h;
      return 'status-handle';
    },
    setStatus: (handle, status) => {
      expect(handle).toBe('status-handle');
      const words = Array.from({ length: 7 }, (_, i) => status.readUInt32LE(4 * i));
      statuses.push(words);
      // The dispatcher returns once the only service reports SERVICE_STOPPED.
      if (words[1] === 1) setImmediate(() => finish?.(true, 0));
      return true;
    },
    lastError: () => 0,
  };
  return {
    scm,
    statuses,
    calls,
    main: () => serviceMain!(),
    control: (c: number) => handler!(c),
  };
}

function run(scm: ScmApi, start: () => Promise<{ stop(): Promise<void> }>) {
  const logs: LogEntry[] = [];
  let exited: (code: number) => void = () => undefined;
  const exit = new Promise<number>((r) => {
    exited = r;
  });
  runService({
    scm,
    name: WINDOWS_SERVICE_NAME,
    logger: createLogger({ sinks: [(e) => logs.push(e)] }),
    start,
    exit: (c) => exited(c),
  });
  return { logs, exit };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

// [dwServiceType, dwCurrentState, dwControlsAccepted, dwWin32ExitCode, dwServiceSpecificExitCode, dwCheckPoint, dwWaitHint]
const OWN = 0x10;

describe('Windows service: the SCM handshake', () => {
  it('reports start pending, running (stop + shutdown accepted), stop pending, stopped; undoes before stopped', async () => {
    const f = fakeScm();
    const order: string[] = [];
    const { exit } = run(f.scm, async () => ({
      stop: async () => {
        order.push(`helper.stop after ${f.statuses.length} statuses`);
      },
    }));
    f.main();
    await tick();
    expect(f.statuses).toEqual([
      [OWN, 2, 0, 0, 0, 1, 30_000],
      [OWN, 4, 0x1 | 0x4, 0, 0, 0, 0],
    ]);
    expect(f.control(SERVICE_CONTROL_INTERROGATE)).toBe(0);
    expect(f.control(2 /* PAUSE: not accepted */)).toBe(120);
    expect(f.control(SERVICE_CONTROL_STOP)).toBe(0);
    expect(f.control(SERVICE_CONTROL_SHUTDOWN)).toBe(0); // a second stop changes nothing
    expect(await exit).toBe(0);
    expect(f.statuses.slice(2)).toEqual([
      [OWN, 3, 0, 0, 0, 2, 30_000],
      [OWN, 1, 0, 0, 0, 0, 0],
    ]);
    expect(order).toEqual(['helper.stop after 3 statuses']);
    expect(f.calls).toEqual([
      `StartServiceCtrlDispatcherW ${WINDOWS_SERVICE_NAME}`,
      `RegisterServiceCtrlHandlerExW ${WINDOWS_SERVICE_NAME}`,
    ]);
  });

  it('a helper that cannot start stops the service with a service-specific error and exits 1', async () => {
    const f = fakeScm();
    const { exit, logs } = run(f.scm, async () => {
      throw new Error('another helper is already listening');
    });
    f.main();
    expect(await exit).toBe(1);
    expect(f.statuses).toEqual([
      [OWN, 2, 0, 0, 0, 1, 30_000],
      [OWN, 1, 0, 1066, 1, 0, 0],
    ]);
    expect(logs.some((l) => l.msg === 'helper failed to start')).toBe(true);
  });

  it('started by hand with --service: says so and exits 2', async () => {
    const f = fakeScm({ dispatcherError: ERROR_FAILED_SERVICE_CONTROLLER_CONNECT });
    const { exit, logs } = run(f.scm, async () => ({ stop: async () => undefined }));
    expect(await exit).toBe(2);
    expect(logs.map((l) => l.msg)).toContain(
      'not started by the Service Control Manager: run the helper without --service',
    );
  });

  it('SERVICE_STATUS bytes', () => {
    const b = encodeServiceStatus({
      state: 3,
      controlsAccepted: 0,
      win32ExitCode: 0,
      serviceExitCode: 0,
      checkPoint: 7,
      waitHintMs: 30_000,
    });
    expect(b.toString('hex')).toBe('10000000030000000000000000000000000000000700000030750000');
  });

  it('the installer registers the service under this name and runs the helper with --service', () => {
    const nsh = readFileSync(new URL('../../../build/win/installer.nsh', import.meta.url), 'utf8');
    expect(nsh).toMatch(new RegExp(`^!define FERRY_SERVICE "${WINDOWS_SERVICE_NAME}"$`, 'm'));
    const [, , ...args] = nsisServiceCommand(nsh);
    const env = { SystemRoot: 'C:\\Windows' };
    const parsed = parseHelperArgs(args, () => null, 'win32', env);
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.value).toEqual({
      mode: 'socket',
      socketPath: WINDOWS_PIPE,
      statePath: 'C:\\Windows\\System32\\config\\systemprofile\\AppData\\Local\\Ferry\\state.json',
      group: null,
      allowUids: [],
      logLevel: 'info',
      service: true,
      logFile: 'C:\\Windows\\System32\\config\\systemprofile\\AppData\\Local\\Ferry\\helper.log',
    });
    expect(platformProblem(parsed.value, 'win32')).toBeNull();
  });
});
