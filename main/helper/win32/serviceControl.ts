/**
 * The Service Control Manager handshake, so the installed Windows service is a real service: node.exe itself
 * does not speak the SCM protocol, and an `sc.exe create`d node that never calls StartServiceCtrlDispatcherW
 * is killed after the SCM's 30 s start timeout. StartServiceCtrlDispatcherW blocks its thread for the life of
 * the service, so it runs as a koffi async call on a worker thread; the dispatcher calls ServiceMain (on a
 * thread of its own) and HandlerEx (on the dispatcher thread), which koffi relays to the JS thread as
 * registered callbacks (its thread-safe callback broker; the native thread waits for the JS function). Both
 * return quickly: ServiceMain may return once the service reports its state (documented for
 * LPSERVICE_MAIN_FUNCTIONW), HandlerEx only starts the stop. Untested on real Windows (main/helper/README.md).
 */
import { createRequire } from 'node:module';
import type { Logger } from '../../../core/common/log';

/** The service name the installer registers (build/win/installer.nsh FERRY_SERVICE). */
export const WINDOWS_SERVICE_NAME = 'FerryHelper';
export const SERVICE_WIN32_OWN_PROCESS = 0x10;
export const SERVICE_STOPPED = 1;
export const SERVICE_START_PENDING = 2;
export const SERVICE_STOP_PENDING = 3;
export const SERVICE_RUNNING = 4;
export const SERVICE_ACCEPT_STOP = 0x1;
export const SERVICE_ACCEPT_SHUTDOWN = 0x4;
export const SERVICE_CONTROL_STOP = 0x1;
export const SERVICE_CONTROL_INTERROGATE = 0x4;
export const SERVICE_CONTROL_SHUTDOWN = 0x5;
export const NO_ERROR = 0;
export const ERROR_CALL_NOT_IMPLEMENTED = 120;
export const ERROR_SERVICE_SPECIFIC_ERROR = 1066;
export const ERROR_FAILED_SERVICE_CONTROLLER_CONNECT = 1063;
const START_WAIT_HINT_MS = 30_000;
const STOP_WAIT_HINT_MS = 30_000;

export interface ServiceStatus {
  readonly state: number;
  readonly controlsAccepted: number;
  readonly win32ExitCode: number;
  readonly serviceExitCode: number;
  readonly checkPoint: number;
  readonly waitHintMs: number;
}

/** SERVICE_STATUS: seven DWORDs, dwServiceType first. */
export function encodeServiceStatus(s: ServiceStatus): Buffer {
  const b = Buffer.alloc(28);
  const fields = [
    SERVICE_WIN32_OWN_PROCESS,
    s.state,
    s.controlsAccepted,
    s.win32ExitCode,
    s.serviceExitCode,
    s.checkPoint,
    s.waitHintMs,
  ];
  for (const [i, v] of fields.entries()) b.writeUInt32LE(v >>> 0, 4 * i);
  return b;
}

/** advapi32's service calls (injected: tests play the SCM). */
export interface ScmApi {
  /**
   * StartServiceCtrlDispatcherW({ name, serviceMain }, { NULL, NULL }) on a worker thread; `done` when it
   * returns (every service of the process stopped, or it failed: ok false and GetLastError).
   */
  startDispatcher(name: string, serviceMain: () => void, done: (ok: boolean, error: number) => void): void;
  /** RegisterServiceCtrlHandlerExW(name, handler, NULL); null on failure. */
  registerHandler(name: string, handler: (control: number) => number): unknown | null;
  /** SetServiceStatus(handle, &SERVICE_STATUS). */
  setStatus(handle: unknown, status: Buffer): boolean;
  lastError(): number;
}

export interface ServiceOptions {
  readonly scm: ScmApi;
  readonly name: string;
  readonly logger: Logger;
  /** Starts the helper (repair, pipe); its `stop` undoes everything. */
  readonly start: () => Promise<{ stop(): Promise<void> }>;
  /** Ends the process once the dispatcher has returned. */
  readonly exit: (code: number) => void;
}

/** Runs the helper as the service `name` until the SCM stops it. */
export function runService(o: ServiceOptions): void {
  const log = o.logger;
  let handle: unknown = null;
  let checkPoint = 0;
  let stopping = false;
  let failed = false;
  let helper: { stop(): Promise<void> } | null = null;
  const report = (state: number, extra: Partial<ServiceStatus> = {}) => {
    const pending = state === SERVICE_START_PENDING || state === SERVICE_STOP_PENDING;
    const status = encodeServiceStatus({
      state,
      controlsAccepted: state === SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0,
      win32ExitCode: NO_ERROR,
      serviceExitCode: 0,
      checkPoint: pending ? ++checkPoint : 0,
      waitHintMs: 0,
      ...extra,
    });
    if (!o.scm.setStatus(handle, status))
      log.error('SetServiceStatus failed', { state, error: o.scm.lastError() });
  };
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { why });
    report(SERVICE_STOP_PENDING, { waitHintMs: STOP_WAIT_HINT_MS });
    if (!helper) return; // still starting: stopped as soon as it is up
    void helper
      .stop()
      .catch((error: unknown) => log.error('stopping the helper failed', { error }))
      .finally(() => report(SERVICE_STOPPED));
  };
  const handler = (control: number): number => {
    switch (control) {
      case SERVICE_CONTROL_STOP:
        stop('SCM stop');
        return NO_ERROR;
      case SERVICE_CONTROL_SHUTDOWN:
        stop('system shutdown');
        return NO_ERROR;
      case SERVICE_CONTROL_INTERROGATE:
        return NO_ERROR;
      default:
        return ERROR_CALL_NOT_IMPLEMENTED;
    }
  };
  const serviceMain = () => {
    handle = o.scm.registerHandler(o.name, handler);
    if (handle === null) {
      log.error('RegisterServiceCtrlHandlerExW failed', { error: o.scm.lastError() });
      failed = true;
      return;
    }
    report(SERVICE_START_PENDING, { waitHintMs: START_WAIT_HINT_MS });
    o.start().then(
      (h) => {
        helper = h;
        if (stopping) {
          stopping = false;
          stop('stop requested while starting');
        } else {
          report(SERVICE_RUNNING);
          log.info('service running', { name: o.name });
        }
      },
      (error: unknown) => {
        failed = true;
        log.error('helper failed to start', { error });
        report(SERVICE_STOPPED, { win32ExitCode: ERROR_SERVICE_SPECIFIC_ERROR, serviceExitCode: 1 });
      },
    );
  };
  o.scm.startDispatcher(o.name, serviceMain, (ok, error) => {
    if (!ok) {
      log.error(
        error === ERROR_FAILED_SERVICE_CONTROLLER_CONNECT
          ? 'not started by the Service Control Manager: run the helper without --service'
          : 'StartServiceCtrlDispatcherW failed',
        { error },
      );
      return o.exit(2);
    }
    o.exit(failed ? 1 : 0);
  });
}

/** The real calls through koffi on advapi32 (untested on real Windows). */
export function koffiScmApi(): ScmApi {
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const adv = koffi.load('advapi32.dll');
  const k32 = koffi.load('kernel32.dll');
  const ServiceMain = koffi.proto('void __stdcall FerryServiceMain(uint32_t argc, void *argv)');
  const HandlerEx = koffi.proto(
    'uint32_t __stdcall FerryHandlerEx(uint32_t control, uint32_t eventType, void *eventData, void *context)',
  );
  koffi.struct('FERRY_SERVICE_TABLE_ENTRYW', {
    lpServiceName: 'const char16_t *',
    lpServiceProc: koffi.pointer(ServiceMain),
  });
  const dispatcher = adv.func(
    'int __stdcall StartServiceCtrlDispatcherW(const FERRY_SERVICE_TABLE_ENTRYW *table)',
  );
  const register = adv.func(
    'void * __stdcall RegisterServiceCtrlHandlerExW(const char16_t *name, FerryHandlerEx *handler, void *context)',
  );
  const setStatus = adv.func('int __stdcall SetServiceStatus(void *handle, const uint8_t *status)');
  const lastError = k32.func('uint32_t __stdcall GetLastError()');
  // Registered for the life of the process: the SCM may call them until the dispatcher returns.
  const keep: unknown[] = [];
  return {
    startDispatcher: (name, serviceMain, done) => {
      const main = koffi.register(() => serviceMain(), koffi.pointer(ServiceMain));
      keep.push(main);
      const table = [
        { lpServiceName: name, lpServiceProc: main },
        { lpServiceName: null, lpServiceProc: null },
      ];
      dispatcher.async(table, (err: unknown, r: number) =>
        done(!err && r !== 0, err ? -1 : (lastError() as number)),
      );
    },
    registerHandler: (name, handler) => {
      const cb = koffi.register((control: number) => handler(control), koffi.pointer(HandlerEx));
      keep.push(cb);
      return register(name, cb, null) ?? null;
    },
    setStatus: (handle, status) => setStatus(handle, status) !== 0,
    lastError: () => lastError() as number,
  };
}
