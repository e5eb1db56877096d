/**
 * The helper's named pipe on Windows. Node's own pipe server cannot do what the helper needs: libuv creates the
 * pipe with the default DACL (ordinary users could not write to it) and Node exposes no handle to ask who the
 * client is. So, as on Linux, the listening object is ours (koffi): CreateNamedPipeW with the DACL from
 * `pipeSddl` (ConvertStringSecurityDescriptorToSecurityDescriptorW), FILE_FLAG_FIRST_PIPE_INSTANCE for the
 * first instance (a second helper, or anyone who created the name first, makes start fail),
 * PIPE_REJECT_REMOTE_CLIENTS, overlapped ConnectNamedPipe. One WaitForMultipleObjects on a worker thread waits
 * for a connection, for any connection's read or write, or for the wake-up event — the counterpart of the Linux
 * listener's poll(). A client's identity is read from its token before a byte is read (pipeAuth.ts).
 */
import type { Logger } from '../../../core/common/log';
import { POLL_TIMEOUT_MS, wakeOnExit } from '../../../core/tun/exitWake';
import { identifyPipeClient, type PipeClient, pipeSddl } from './pipeAuth';
import { PipeConnection } from './pipeConnection';
import {
  ERROR_IO_INCOMPLETE,
  ERROR_IO_PENDING,
  ERROR_PIPE_CONNECTED,
  encodeSecurityAttributes,
  FILE_FLAG_FIRST_PIPE_INSTANCE,
  FILE_FLAG_OVERLAPPED,
  handleArray,
  INVALID_HANDLE_VALUE,
  koffiPipeKernel,
  MAXIMUM_WAIT_OBJECTS,
  type NativeBlock,
  OVERLAPPED_SIZE,
  PIPE_ACCESS_DUPLEX,
  PIPE_BUFFER_BYTES,
  PIPE_REJECT_REMOTE_CLIENTS,
  PIPE_TYPE_BYTE,
  PIPE_UNLIMITED_INSTANCES,
  type PipeKernel,
  resetOverlapped,
  SDDL_REVISION_1,
  SECURITY_ATTRIBUTES_SIZE,
  WAIT_FAILED,
} from './pipeKernel';

/** Two events per connection, plus the wake-up and the pending ConnectNamedPipe, within MAXIMUM_WAIT_OBJECTS. */
export const MAX_PIPE_CONNECTIONS = (MAXIMUM_WAIT_OBJECTS - 2) / 2;
const RETRY_MS = 1000;

export interface PipeListenerOptions {
  /** `\\.\pipe\…` */
  readonly name: string;
  /** Group SID allowed by the DACL besides SYSTEM and Administrators; null = interactive users. */
  readonly groupSid: string | null;
  readonly logger: Logger;
  /** A connected client with its identity, not yet read from; call `stream.end()` to refuse it. */
  readonly onConnection: (c: { readonly stream: PipeConnection; readonly client: PipeClient }) => void;
}

export class PipeListener {
  private readonly conns = new Set<PipeConnection>();
  /** The instance waiting in ConnectNamedPipe, if any. */
  private listening: number | null = null;
  private acceptPending = false;
  private closed = false;
  private polling = false;
  private finish: (() => void) | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private rearm: ReturnType<typeof setTimeout> | null = null;
  private readonly unregisterWake: () => void;

  private constructor(
    private readonly k: PipeKernel,
    private readonly opts: PipeListenerOptions,
    private readonly sa: NativeBlock,
    private readonly sd: { readonly ptr: unknown },
    private readonly wake: number,
    private readonly acceptEvent: number,
    private readonly acceptOv: NativeBlock,
  ) {
    this.unregisterWake = wakeOnExit(() => this.k.setEvent(this.wake));
  }

  static listen(opts: PipeListenerOptions, k: PipeKernel = koffiPipeKernel()): PipeListener {
    const sd = k.convertSddl(pipeSddl(opts.groupSid), SDDL_REVISION_1);
    if (!sd)
      throw new Error(`ConvertStringSecurityDescriptorToSecurityDescriptorW failed (error ${k.lastError()})`);
    const sa = k.alloc(SECURITY_ATTRIBUTES_SIZE);
    encodeSecurityAttributes(sa.view, sd.address);
    const first = createInstance(k, opts.name, sa, true);
    if (first === INVALID_HANDLE_VALUE) {
      const e = k.lastError();
      sa.free();
      k.localFree(sd.ptr);
      throw new Error(
        `cannot create ${opts.name} (error ${e}): another helper, or another program, already serves that name`,
      );
    }
    const wake = k.createEvent(false, false);
    const acceptEvent = wake ? k.createEvent(true, false) : 0;
    if (!wake || !acceptEvent) {
      const e = k.lastError();
      if (wake) k.closeHandle(wake);
      k.closeHandle(first);
      sa.free();
      k.localFree(sd.ptr);
      throw new Error(`CreateEventW failed (error ${e})`);
    }
    const l = new PipeListener(k, opts, sa, sd, wake, acceptEvent, k.alloc(OVERLAPPED_SIZE));
    l.listening = first;
    l.connect();
    l.arm();
    return l;
  }

  get connections(): number {
    return this.conns.size;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return resolve();
      this.closed = true;
      if (this.retry) clearTimeout(this.retry);
      if (this.rearm) clearTimeout(this.rearm);
      const done = () => {
        this.unregisterWake();
        for (const c of this.conns) c.release();
        this.conns.clear();
        this.dropListening();
        this.k.closeHandle(this.acceptEvent);
        this.k.closeHandle(this.wake);
        this.acceptOv.free();
        this.sa.free();
        this.k.localFree(this.sd.ptr);
        resolve();
      };
      if (this.polling) {
        this.finish = done;
        this.k.setEvent(this.wake);
      } else done();
    });
  }

  private arm(): void {
    const handles = [this.wake];
    if (this.acceptPending) handles.push(this.acceptEvent);
    for (const c of this.conns) handles.push(c.readEvent, c.writeEvent);
    this.polling = true;
    this.k.waitForMultipleObjects.async(
      handles.length,
      handleArray(handles),
      false,
      POLL_TIMEOUT_MS,
      (error, r) => {
        this.polling = false;
        if (this.finish) {
          this.finish();
          return;
        }
        if (this.closed) return;
        this.sweep();
        if (!error && r !== WAIT_FAILED) {
          this.arm();
          return;
        }
        // Never spin on a wait that keeps failing.
        this.opts.logger.error('waiting on the pipe failed', { error: error ?? this.k.lastError() });
        this.rearm = setTimeout(() => {
          this.rearm = null;
          if (!this.closed) this.arm();
        }, RETRY_MS);
      },
    );
  }

  /** Everything the waiter may have seen, on the main thread while it is idle. */
  private sweep(): void {
    if (this.acceptPending) this.pollAccept();
    for (const c of this.conns) c.poll();
    // A fresh instance before old ones close, so the name never disappears (and nobody else can take it).
    this.ensureListening();
    for (const c of [...this.conns])
      if (c.finished) {
        c.release();
        this.conns.delete(c);
      }
    this.ensureListening();
  }

  private pollAccept(): void {
    const n = [0];
    if (this.listening === null) return;
    if (this.k.getOverlappedResult(this.listening, this.acceptOv.ptr, n, false)) {
      this.accepted();
      return;
    }
    const e = this.k.lastError();
    if (e === ERROR_IO_INCOMPLETE) return;
    this.opts.logger.warn('waiting for a pipe client failed', { error: e });
    this.dropListening();
  }

  /** ConnectNamedPipe on the listening instance (overlapped). */
  private connect(): void {
    const h = this.listening;
    if (h === null) return;
    resetOverlapped(this.acceptOv.view, this.acceptEvent);
    const connected = this.k.connectNamedPipe(h, this.acceptOv.ptr);
    const e = this.k.lastError();
    if (!connected && e === ERROR_IO_PENDING) {
      this.acceptPending = true;
      return;
    }
    // A client that connected between CreateNamedPipeW and ConnectNamedPipe: the event is not signalled.
    if (connected || e === ERROR_PIPE_CONNECTED) {
      this.accepted();
      return;
    }
    this.opts.logger.warn('ConnectNamedPipe failed', { error: e });
    this.dropListening();
  }

  private accepted(): void {
    const h = this.listening!;
    this.listening = null;
    this.acceptPending = false;
    this.k.resetEvent(this.acceptEvent);
    const conn = PipeConnection.open(this.k, h, this.opts.logger, () => this.k.setEvent(this.wake));
    if (!conn) return;
    this.conns.add(conn);
    this.ensureListening();
    const client = identifyPipeClient(this.k, h);
    if (!client.ok) {
      this.opts.logger.warn('connection without client identity refused', { reason: client.error });
      conn.release();
      this.conns.delete(conn);
      return;
    }
    try {
      this.opts.onConnection({ stream: conn, client: client.value });
    } catch (error) {
      this.opts.logger.error('connection handler failed', { error });
      conn.end();
    }
    conn.startReading();
  }

  /** Keeps one instance waiting for the next client while there is room. */
  private ensureListening(): void {
    if (this.closed || this.listening !== null || this.retry) return;
    const live = [...this.conns].filter((c) => !c.finished).length;
    if (live >= MAX_PIPE_CONNECTIONS) return;
    const h = createInstance(this.k, this.opts.name, this.sa, false);
    if (h === INVALID_HANDLE_VALUE) {
      this.opts.logger.error('CreateNamedPipeW failed; retrying', { error: this.k.lastError() });
      this.retry = setTimeout(() => {
        this.retry = null;
        this.ensureListening();
        this.k.setEvent(this.wake);
      }, RETRY_MS);
      return;
    }
    this.listening = h;
    this.connect();
  }

  private dropListening(): void {
    if (this.listening === null) return;
    const n = [0];
    if (this.acceptPending) {
      this.k.cancelIoEx(this.listening, this.acceptOv.ptr);
      this.k.getOverlappedResult(this.listening, this.acceptOv.ptr, n, true);
    }
    this.k.closeHandle(this.listening);
    this.listening = null;
    this.acceptPending = false;
    this.k.resetEvent(this.acceptEvent);
  }
}

function createInstance(k: PipeKernel, name: string, sa: NativeBlock, first: boolean): number {
  return k.createNamedPipe(
    name,
    PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0),
    PIPE_TYPE_BYTE | PIPE_REJECT_REMOTE_CLIENTS,
    PIPE_UNLIMITED_INSTANCES,
    PIPE_BUFFER_BYTES,
    PIPE_BUFFER_BYTES,
    0,
    sa.ptr,
  );
}
