/**
 * One accepted pipe instance as a helper session stream, with overlapped ReadFile/WriteFile. Each direction
 * has its own OVERLAPPED, native buffer and manual-reset event; the listener's single waiter thread waits on
 * the events and calls `poll()` on the main thread, which collects finished operations with
 * GetOverlappedResult(wait = FALSE). An event is reset whenever its direction goes idle, so the waiter never
 * spins. Handles and memory are released only by the listener while its waiter is idle (`release()`).
 */
import type { Logger } from '../../../core/common/log';
import type { SessionStream } from '../server';
import {
  ERROR_IO_INCOMPLETE,
  ERROR_IO_PENDING,
  type NativeBlock,
  OVERLAPPED_SIZE,
  type PipeKernel,
  resetOverlapped,
} from './pipeKernel';

const READ_BYTES = 16 * 1024;

export class PipeConnection implements SessionStream {
  private readonly readOv: NativeBlock;
  private readonly readBuf: NativeBlock;
  private readonly writeOv: NativeBlock;
  private writeBuf: NativeBlock | null = null;
  private readPending = false;
  private writePending = false;
  private reading = false;
  private paused = false;
  /** end() was called: no more reads, flush the writes, then close. */
  private draining = false;
  /** The client is gone or I/O failed: drop everything. */
  private broken = false;
  private released = false;
  private goneFired = false;
  private queue: Buffer[] = [];
  private dataFn: ((chunk: Buffer) => void) | null = null;
  private goneFn: (() => void) | null = null;

  private constructor(
    private readonly k: PipeKernel,
    readonly handle: number,
    readonly readEvent: number,
    readonly writeEvent: number,
    private readonly log: Logger,
    /** Asks the listener to wake its waiter (to release this connection). */
    private readonly wakeListener: () => void,
  ) {
    this.readOv = k.alloc(OVERLAPPED_SIZE);
    this.readBuf = k.alloc(READ_BYTES);
    this.writeOv = k.alloc(OVERLAPPED_SIZE);
  }

  /** Wraps a connected instance; null (and the handle closed) when its events cannot be created. */
  static open(k: PipeKernel, handle: number, log: Logger, wake: () => void): PipeConnection | null {
    const r = k.createEvent(true, false);
    const w = r ? k.createEvent(true, false) : 0;
    if (!r || !w) {
      log.error('CreateEventW failed for a connection', { error: k.lastError() });
      if (r) k.closeHandle(r);
      k.closeHandle(handle);
      return null;
    }
    return new PipeConnection(k, handle, r, w, log, wake);
  }

  /** Starts reading (after the client was authorized). */
  startReading(): void {
    if (this.reading || this.draining || this.broken) return;
    this.reading = true;
    this.issueRead();
  }

  /** Ready to be released by the listener. */
  get finished(): boolean {
    return (
      !this.released && (this.broken || (this.draining && !this.writePending && this.queue.length === 0))
    );
  }

  // SessionStream

  onData(fn: (chunk: Buffer) => void): void {
    this.dataFn = fn;
  }

  onGone(fn: () => void): void {
    this.goneFn = fn;
  }

  write(text: string): void {
    if (this.broken || this.released) return;
    this.queue.push(Buffer.from(text));
    this.pump();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.reading && !this.readPending && !this.draining && !this.broken && !this.released)
      this.issueRead();
  }

  end(): void {
    if (this.draining || this.released) return;
    this.draining = true;
    this.fireGone();
    this.wakeListener();
  }

  /** Collects finished operations (main thread, waiter idle or not). */
  poll(): void {
    if (this.released) return;
    if (this.readPending) this.pollRead();
    if (this.writePending) this.pollWrite();
  }

  /** Cancels what is in flight, waits for the kernel to let go of our memory, closes everything. */
  release(): void {
    if (this.released) return;
    this.released = true;
    const n = [0];
    for (const [pending, ov] of [
      [this.readPending, this.readOv],
      [this.writePending, this.writeOv],
    ] as const) {
      if (!pending) continue;
      this.k.cancelIoEx(this.handle, ov.ptr);
      this.k.getOverlappedResult(this.handle, ov.ptr, n, true);
    }
    this.readPending = false;
    this.writePending = false;
    this.k.closeHandle(this.handle);
    this.k.closeHandle(this.readEvent);
    this.k.closeHandle(this.writeEvent);
    this.readOv.free();
    this.readBuf.free();
    this.writeOv.free();
    this.writeBuf?.free();
    this.writeBuf = null;
    this.queue = [];
    this.fireGone();
  }

  private issueRead(): void {
    resetOverlapped(this.readOv.view, this.readEvent);
    // Completed at once or pending: either way the event is signalled at completion and poll() collects it.
    if (this.k.readFile(this.handle, this.readBuf.ptr, READ_BYTES, this.readOv.ptr)) {
      this.readPending = true;
      return;
    }
    const e = this.k.lastError();
    if (e === ERROR_IO_PENDING) this.readPending = true;
    else this.fail('ReadFile', e);
  }

  private pollRead(): void {
    const n = [0];
    if (!this.k.getOverlappedResult(this.handle, this.readOv.ptr, n, false)) {
      const e = this.k.lastError();
      if (e === ERROR_IO_INCOMPLETE) return;
      this.readPending = false;
      this.fail('read', e);
      return;
    }
    this.readPending = false;
    if (n[0]! > 0 && !this.draining) this.dataFn?.(Buffer.from(this.readBuf.view.subarray(0, n[0])));
    if (this.paused || this.draining || this.broken || this.released) this.k.resetEvent(this.readEvent);
    else this.issueRead();
  }

  private pump(): void {
    if (this.writePending || this.queue.length === 0 || this.broken || this.released) return;
    const data = Buffer.concat(this.queue);
    this.queue = [];
    const block = this.k.alloc(data.length);
    data.copy(block.view);
    resetOverlapped(this.writeOv.view, this.writeEvent);
    this.writeBuf = block;
    if (this.k.writeFile(this.handle, block.ptr, data.length, this.writeOv.ptr)) {
      this.writePending = true;
      return;
    }
    const e = this.k.lastError();
    if (e === ERROR_IO_PENDING) {
      this.writePending = true;
      return;
    }
    this.writeBuf = null;
    block.free();
    this.fail('WriteFile', e);
  }

  private pollWrite(): void {
    const n = [0];
    const block = this.writeBuf;
    if (!this.k.getOverlappedResult(this.handle, this.writeOv.ptr, n, false)) {
      const e = this.k.lastError();
      if (e === ERROR_IO_INCOMPLETE) return;
      this.writePending = false;
      this.writeBuf = null;
      block?.free();
      this.fail('write', e);
      return;
    }
    this.writePending = false;
    this.writeBuf = null;
    if (block && n[0]! < block.view.length) this.queue.unshift(Buffer.from(block.view.subarray(n[0])));
    block?.free();
    if (this.queue.length > 0) this.pump();
    else this.k.resetEvent(this.writeEvent);
  }

  /** The client went away (ERROR_BROKEN_PIPE, ERROR_NO_DATA…) or the pipe failed. */
  private fail(what: string, error: number): void {
    if (this.broken) return;
    this.broken = true;
    this.queue = [];
    this.log.debug('pipe connection ended', { what, error });
    this.fireGone();
    this.wakeListener();
  }

  private fireGone(): void {
    if (this.goneFired) return;
    this.goneFired = true;
    this.goneFn?.();
  }
}
