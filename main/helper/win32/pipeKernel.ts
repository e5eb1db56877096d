/**
 * The kernel32/advapi32 calls behind the helper's named pipe, as one injected interface (tests give a fake
 * that records every call and plays the kernel's part). Handles are numbers (64-bit Windows only uses the low
 * 32 bits of a HANDLE). The koffi binding at the bottom has never run on real Windows (main/helper/README.md).
 */
import { createRequire } from 'node:module';

export const PIPE_ACCESS_DUPLEX = 0x3;
export const FILE_FLAG_OVERLAPPED = 0x40000000;
export const FILE_FLAG_FIRST_PIPE_INSTANCE = 0x00080000;
/** Byte stream, blocking mode for the handle (overlapped I/O still returns at once), no remote clients. */
export const PIPE_TYPE_BYTE = 0x0;
export const PIPE_REJECT_REMOTE_CLIENTS = 0x8;
export const PIPE_UNLIMITED_INSTANCES = 255;
export const PIPE_BUFFER_BYTES = 65536;
export const INVALID_HANDLE_VALUE = -1;
export const SDDL_REVISION_1 = 1;
export const PROCESS_QUERY_LIMITED_INFORMATION = 0x1000;
export const TOKEN_QUERY = 0x0008;
export const TOKEN_USER_CLASS = 1;
export const TOKEN_GROUPS_CLASS = 2;
export const TOKEN_SESSION_ID_CLASS = 12;
export const WAIT_OBJECT_0 = 0;
export const WAIT_TIMEOUT = 0x102;
export const WAIT_FAILED = 0xffffffff;
export const MAXIMUM_WAIT_OBJECTS = 64;

export const ERROR_ACCESS_DENIED = 5;
export const ERROR_BROKEN_PIPE = 109;
export const ERROR_INSUFFICIENT_BUFFER = 122;
export const ERROR_PIPE_BUSY = 231;
export const ERROR_NO_DATA = 232;
export const ERROR_PIPE_NOT_CONNECTED = 233;
export const ERROR_PIPE_CONNECTED = 535;
export const ERROR_OPERATION_ABORTED = 995;
export const ERROR_IO_INCOMPLETE = 996;
export const ERROR_IO_PENDING = 997;

/** sizeof(OVERLAPPED) on x64; hEvent is the last field. */
export const OVERLAPPED_SIZE = 32;
const OVERLAPPED_EVENT = 24;
/** sizeof(SECURITY_ATTRIBUTES) on x64: DWORD nLength, LPVOID lpSecurityDescriptor (at 8), BOOL bInheritHandle. */
export const SECURITY_ATTRIBUTES_SIZE = 24;

/** Memory outside the JS heap that overlapped I/O may write into after the call returned. */
export interface NativeBlock {
  readonly ptr: unknown;
  readonly address: bigint;
  readonly view: Buffer;
  free(): void;
}

type AsyncFn<A extends unknown[], R> = ((...args: A) => R) & {
  async: (...args: [...A, (err: unknown, res: R) => void]) => void;
};

export interface PipeKernel {
  /** CreateNamedPipeW; INVALID_HANDLE_VALUE on failure. `sa` points to a SECURITY_ATTRIBUTES. */
  createNamedPipe(
    name: string,
    openMode: number,
    pipeMode: number,
    maxInstances: number,
    outBytes: number,
    inBytes: number,
    defaultTimeoutMs: number,
    sa: unknown,
  ): number;
  connectNamedPipe(pipe: number, overlapped: unknown): boolean;
  getNamedPipeClientProcessId(pipe: number, pid: number[]): boolean;
  getNamedPipeClientSessionId(pipe: number, session: number[]): boolean;
  /** ReadFile / WriteFile, overlapped (lpNumberOfBytes NULL). */
  readFile(h: number, buf: unknown, len: number, overlapped: unknown): boolean;
  writeFile(h: number, buf: unknown, len: number, overlapped: unknown): boolean;
  getOverlappedResult(h: number, overlapped: unknown, bytes: number[], wait: boolean): boolean;
  cancelIoEx(h: number, overlapped: unknown): boolean;
  /** CreateEventW(NULL, manualReset, initialState, NULL); 0 on failure. */
  createEvent(manualReset: boolean, initialState: boolean): number;
  setEvent(h: number): boolean;
  resetEvent(h: number): boolean;
  /** WaitForMultipleObjects over `count` HANDLEs (8 bytes each, little-endian) in `handles`; async = worker thread. */
  readonly waitForMultipleObjects: AsyncFn<
    [count: number, handles: Buffer, waitAll: boolean, timeoutMs: number],
    number
  >;
  closeHandle(h: number): boolean;
  /** OpenProcess; 0 on failure. */
  openProcess(access: number, inherit: boolean, pid: number): number;
  openProcessToken(process: number, access: number, token: number[]): boolean;
  getTokenInformation(
    token: number,
    infoClass: number,
    info: unknown,
    len: number,
    returned: number[],
  ): boolean;
  /** ConvertStringSecurityDescriptorToSecurityDescriptorW; the descriptor is freed with localFree. */
  convertSddl(sddl: string, revision: number): { readonly ptr: unknown; readonly address: bigint } | null;
  localFree(ptr: unknown): void;
  lastError(): number;
  alloc(size: number): NativeBlock;
}

/** Clears an OVERLAPPED for a new operation, keeping (or setting) its event. */
export function resetOverlapped(view: Buffer, event: number): void {
  view.fill(0, 0, OVERLAPPED_SIZE);
  view.writeBigInt64LE(BigInt(event), OVERLAPPED_EVENT);
}

export function encodeSecurityAttributes(view: Buffer, descriptor: bigint): void {
  view.fill(0, 0, SECURITY_ATTRIBUTES_SIZE);
  view.writeUInt32LE(SECURITY_ATTRIBUTES_SIZE, 0);
  view.writeBigUInt64LE(descriptor, 8);
}

export function handleArray(handles: readonly number[]): Buffer {
  const b = Buffer.alloc(8 * handles.length);
  for (const [i, h] of handles.entries()) b.writeBigInt64LE(BigInt(h), 8 * i);
  return b;
}

let cached: PipeKernel | null = null;

/** The real calls through koffi (untested on real Windows). */
export function koffiPipeKernel(): PipeKernel {
  if (cached) return cached;
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const k32 = koffi.load('kernel32.dll');
  const adv = koffi.load('advapi32.dll');
  const f = (lib: typeof k32, decl: string) => lib.func(decl) as (...a: unknown[]) => number;
  const createPipe = f(
    k32,
    'intptr_t __stdcall CreateNamedPipeW(const char16_t *name, uint32_t openMode, uint32_t pipeMode, uint32_t maxInstances, uint32_t outSize, uint32_t inSize, uint32_t timeout, void *sa)',
  );
  const connect = f(k32, 'int __stdcall ConnectNamedPipe(intptr_t pipe, void *ov)');
  const clientPid = f(k32, 'int __stdcall GetNamedPipeClientProcessId(intptr_t pipe, _Out_ uint32_t *pid)');
  const clientSession = f(
    k32,
    'int __stdcall GetNamedPipeClientSessionId(intptr_t pipe, _Out_ uint32_t *id)',
  );
  const read = f(k32, 'int __stdcall ReadFile(intptr_t h, void *buf, uint32_t len, void *done, void *ov)');
  const write = f(k32, 'int __stdcall WriteFile(intptr_t h, void *buf, uint32_t len, void *done, void *ov)');
  const result = f(
    k32,
    'int __stdcall GetOverlappedResult(intptr_t h, void *ov, _Out_ uint32_t *bytes, int wait)',
  );
  const cancel = f(k32, 'int __stdcall CancelIoEx(intptr_t h, void *ov)');
  const createEvent = f(
    k32,
    'intptr_t __stdcall CreateEventW(void *sa, int manual, int initial, const char16_t *name)',
  );
  const setEvent = f(k32, 'int __stdcall SetEvent(intptr_t h)');
  const resetEvent = f(k32, 'int __stdcall ResetEvent(intptr_t h)');
  const wait = k32.func(
    'uint32_t __stdcall WaitForMultipleObjects(uint32_t count, void *handles, int all, uint32_t ms)',
  );
  const close = f(k32, 'int __stdcall CloseHandle(intptr_t h)');
  const openProcess = f(k32, 'intptr_t __stdcall OpenProcess(uint32_t access, int inherit, uint32_t pid)');
  const openToken = f(
    adv,
    'int __stdcall OpenProcessToken(intptr_t process, uint32_t access, _Out_ intptr_t *token)',
  );
  const tokenInfo = f(
    adv,
    'int __stdcall GetTokenInformation(intptr_t token, int cls, void *info, uint32_t len, _Out_ uint32_t *ret)',
  );
  const sddl = f(
    adv,
    'int __stdcall ConvertStringSecurityDescriptorToSecurityDescriptorW(const char16_t *sddl, uint32_t rev, _Out_ void **sd, void *size)',
  );
  const localFree = f(k32, 'void * __stdcall LocalFree(void *mem)');
  const lastError = f(k32, 'uint32_t __stdcall GetLastError()');
  const b = (v: number) => v !== 0;
  const waitFn = Object.assign(
    (count: number, handles: Buffer, all: boolean, ms: number) =>
      wait(count, handles, all ? 1 : 0, ms) as number,
    {
      async: (
        count: number,
        handles: Buffer,
        all: boolean,
        ms: number,
        cb: (err: unknown, res: number) => void,
      ) => wait.async(count, handles, all ? 1 : 0, ms, cb),
    },
  );
  cached = {
    createNamedPipe: (name, open, mode, max, out, inn, timeout, sa) =>
      createPipe(name, open, mode, max, out, inn, timeout, sa),
    connectNamedPipe: (p, ov) => b(connect(p, ov)),
    getNamedPipeClientProcessId: (p, pid) => b(clientPid(p, pid)),
    getNamedPipeClientSessionId: (p, id) => b(clientSession(p, id)),
    readFile: (h, buf, len, ov) => b(read(h, buf, len, null, ov)),
    writeFile: (h, buf, len, ov) => b(write(h, buf, len, null, ov)),
    getOverlappedResult: (h, ov, bytes, w) => b(result(h, ov, bytes, w ? 1 : 0)),
    cancelIoEx: (h, ov) => b(cancel(h, ov)),
    createEvent: (manual, initial) => createEvent(null, manual ? 1 : 0, initial ? 1 : 0, null),
    setEvent: (h) => b(setEvent(h)),
    resetEvent: (h) => b(resetEvent(h)),
    waitForMultipleObjects: waitFn,
    closeHandle: (h) => b(close(h)),
    openProcess: (access, inherit, pid) => openProcess(access, inherit ? 1 : 0, pid),
    openProcessToken: (p, access, token) => b(openToken(p, access, token)),
    getTokenInformation: (t, cls, info, len, ret) => b(tokenInfo(t, cls, info, len, ret)),
    convertSddl: (text, rev) => {
      const out: unknown[] = [null];
      if (!sddl(text, rev, out, null) || !out[0]) return null;
      return { ptr: out[0], address: BigInt(koffi.address(out[0])) };
    },
    localFree: (ptr) => {
      localFree(ptr);
    },
    lastError: () => lastError(),
    alloc: (size) => {
      const ptr = koffi.alloc('uint8_t', size);
      const view = Buffer.from(koffi.view(ptr, size));
      view.fill(0);
      return { ptr, address: BigInt(koffi.address(ptr)), view, free: () => koffi.free(ptr) };
    },
  };
  return cached;
}
