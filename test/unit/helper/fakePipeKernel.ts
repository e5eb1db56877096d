/**
 * A fake kernel32/advapi32 for the Windows pipe listener: named pipe instances, overlapped operations completed
 * through their OVERLAPPED's event, WaitForMultipleObjects, process tokens. It records every call with its
 * arguments, plays clients (`connect`), and collects misuse a real kernel would punish (closing a handle twice
 * or while a wait uses it, freeing memory the kernel still writes to, a blocking wait on an uncancelled op).
 */
import {
  ERROR_ACCESS_DENIED,
  ERROR_BROKEN_PIPE,
  ERROR_INSUFFICIENT_BUFFER,
  ERROR_IO_INCOMPLETE,
  ERROR_IO_PENDING,
  ERROR_NO_DATA,
  ERROR_OPERATION_ABORTED,
  ERROR_PIPE_BUSY,
  ERROR_PIPE_CONNECTED,
  FILE_FLAG_FIRST_PIPE_INSTANCE,
  type NativeBlock,
  type PipeKernel,
  WAIT_TIMEOUT,
} from '../../../main/helper/win32/pipeKernel';
import { encodeTokenGroups, encodeTokenUser, type TokenGroup } from '../../../main/helper/win32/sid';

export interface FakeIdentity {
  readonly pid: number;
  readonly session: number;
  readonly user: string;
  readonly groups: readonly TokenGroup[];
  /** The session the token says, when a reused pid is played (default: `session`). */
  readonly tokenSession?: number;
}

interface Op {
  done: boolean;
  bytes: number;
  error: number;
}

interface Instance {
  readonly handle: number;
  readonly name: string;
  state: 'created' | 'waiting' | 'connected' | 'closed';
  client: FakePipeClient | null;
  acceptOv: Buffer | null;
  pendingRead: { buf: Buffer; len: number; ov: Buffer } | null;
}

type Obj =
  | { kind: 'event'; manual: boolean; signaled: boolean }
  | { kind: 'pipe'; inst: Instance }
  | { kind: 'process'; pid: number }
  | { kind: 'token'; id: FakeIdentity };

export class FakePipeClient {
  received = '';
  serverClosed = false;
  closed = false;
  /** When set, WriteFile stays pending until `drain()` (a client that does not read). */
  stallWrites = false;
  readonly stalled: { data: string; ov: Buffer; len: number }[] = [];
  inbound: Buffer[] = [];

  constructor(
    private readonly k: FakePipeKernel,
    readonly inst: Instance,
    readonly identity: FakeIdentity,
  ) {}

  write(text: string): void {
    this.inbound.push(Buffer.from(text));
    this.k.feed(this.inst);
  }

  pendingWrites(): number {
    return this.stalled.length;
  }

  /** The client reads what the server's pending WriteFiles hold. */
  drain(): void {
    for (const w of this.stalled.splice(0)) {
      this.received += w.data;
      this.k.completeWrite(w.ov, w.len);
    }
  }

  close(): void {
    this.closed = true;
    this.k.clientGone(this.inst);
  }

  /** The next complete lines the server wrote (waits up to ~2 s). */
  async lines(n: number): Promise<unknown[]> {
    for (let i = 0; i < 400; i++) {
      const all = this.received.split('\n').filter(Boolean);
      if (all.length >= n) {
        const taken = all.slice(0, n);
        this.received = all
          .slice(n)
          .map((l) => `${l}\n`)
          .join('');
        return taken.map((l) => JSON.parse(l));
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`expected ${n} lines, have: ${JSON.stringify(this.received)}`);
  }

  async closedByServer(): Promise<boolean> {
    for (let i = 0; i < 400 && !this.serverClosed; i++) await new Promise((r) => setTimeout(r, 5));
    return this.serverClosed;
  }
}

export class FakePipeKernel implements PipeKernel {
  readonly calls: string[] = [];
  readonly misuse: string[] = [];
  readonly processes = new Map<number, FakeIdentity>();
  readonly sddls: string[] = [];
  /** Names someone else already created (FILE_FLAG_FIRST_PIPE_INSTANCE fails). */
  readonly squatted = new Set<string>();
  readonly freedDescriptors: unknown[] = [];
  private readonly objects = new Map<number, Obj>();
  private readonly ops = new Map<Buffer, Op>();
  private readonly blocks = new Map<Buffer, { address: bigint; freed: boolean }>();
  private readonly waiters: { handles: number[]; fire: (i: number) => void }[] = [];
  private nextHandle = 0x100;
  private nextAddress = 0x7f0000000000n;
  private error = 0;

  // ---- test API ----

  /** A client opens the pipe `name`: it takes an instance, which completes a pending ConnectNamedPipe. */
  connect(name: string, id: FakeIdentity): FakePipeClient {
    this.processes.set(id.pid, id);
    const insts = [...this.objects.values()].flatMap((o) => (o.kind === 'pipe' ? [o.inst] : []));
    const inst =
      insts.find((i) => i.name === name && i.state === 'waiting') ??
      insts.find((i) => i.name === name && i.state === 'created');
    if (!inst) throw new Error(`ERROR_PIPE_BUSY: no free instance of ${name}`);
    const client = new FakePipeClient(this, inst, id);
    inst.client = client;
    const waiting = inst.state === 'waiting';
    inst.state = 'connected';
    if (waiting) this.complete(inst.acceptOv!, 0, 0);
    inst.acceptOv = null;
    return client;
  }

  /** Handles not closed yet (events, pipes, processes, tokens). */
  openHandles(): string[] {
    return [...this.objects.entries()].map(([h, o]) => `${o.kind}:0x${h.toString(16)}`);
  }

  liveBlocks(): number {
    return [...this.blocks.values()].filter((b) => !b.freed).length;
  }

  instances(name: string): string[] {
    return [...this.objects.values()].flatMap((o) =>
      o.kind === 'pipe' && o.inst.name === name ? [o.inst.state] : [],
    );
  }

  // ---- kernel internals the clients use ----

  feed(inst: Instance): void {
    const r = inst.pendingRead;
    const c = inst.client;
    if (!r || !c || c.inbound.length === 0) return;
    const data = Buffer.concat(c.inbound);
    const n = Math.min(r.len, data.length);
    data.copy(r.buf, 0, 0, n);
    c.inbound = n < data.length ? [data.subarray(n)] : [];
    inst.pendingRead = null;
    this.complete(r.ov, n, 0);
  }

  completeWrite(ov: Buffer, len: number): void {
    this.complete(ov, len, 0);
  }

  clientGone(inst: Instance): void {
    const r = inst.pendingRead;
    inst.pendingRead = null;
    if (r) this.complete(r.ov, 0, ERROR_BROKEN_PIPE);
  }

  private complete(ov: Buffer, bytes: number, error: number): void {
    const op = this.ops.get(ov) ?? { done: false, bytes: 0, error: 0 };
    Object.assign(op, { done: true, bytes, error });
    this.ops.set(ov, op);
    this.signal(Number(ov.readBigInt64LE(24)));
  }

  private signal(h: number): void {
    const o = this.objects.get(h);
    if (o?.kind !== 'event') return;
    o.signaled = true;
    for (const w of [...this.waiters]) {
      const i = w.handles.indexOf(h);
      if (i >= 0) w.fire(i);
    }
  }

  private alloc_(o: Obj): number {
    const h = this.nextHandle;
    this.nextHandle += 4;
    this.objects.set(h, o);
    return h;
  }

  private pipe(h: number): Instance {
    const o = this.objects.get(h);
    if (o?.kind !== 'pipe') throw new Error(`0x${h.toString(16)} is not a pipe`);
    return o.inst;
  }

  private start(ov: unknown): Buffer {
    const v = ov as Buffer;
    if (!this.blocks.has(v) || this.blocks.get(v)!.freed)
      this.misuse.push('I/O on memory that is not a live block');
    const prev = this.ops.get(v);
    if (prev && !prev.done) this.misuse.push('OVERLAPPED reused while its operation is pending');
    this.ops.set(v, { done: false, bytes: 0, error: 0 });
    const ev = this.objects.get(Number(v.readBigInt64LE(24)));
    if (ev?.kind === 'event') ev.signaled = false; // the I/O functions reset hEvent when they start
    return v;
  }

  // ---- PipeKernel ----

  createNamedPipe(
    name: string,
    openMode: number,
    pipeMode: number,
    max: number,
    out: number,
    inn: number,
    timeout: number,
    sa: unknown,
  ): number {
    const v = sa as Buffer;
    this.calls.push(
      `CreateNamedPipeW ${name} 0x${openMode.toString(16)} 0x${pipeMode.toString(16)} ${max} ${out} ${inn} ${timeout} sa=${v.readUInt32LE(0)}:0x${v.readBigUInt64LE(8).toString(16)}`,
    );
    const exists = this.instances(name).length > 0;
    if (openMode & FILE_FLAG_FIRST_PIPE_INSTANCE && (exists || this.squatted.has(name))) {
      this.error = this.squatted.has(name) ? ERROR_ACCESS_DENIED : ERROR_PIPE_BUSY;
      return -1;
    }
    const handle = this.nextHandle;
    return this.alloc_({
      kind: 'pipe',
      inst: { handle, name, state: 'created', client: null, acceptOv: null, pendingRead: null },
    });
  }

  connectNamedPipe(pipe: number, ov: unknown): boolean {
    this.calls.push(`ConnectNamedPipe 0x${pipe.toString(16)}`);
    const inst = this.pipe(pipe);
    const v = this.start(ov);
    if (inst.state === 'connected') {
      this.ops.set(v, { done: true, bytes: 0, error: 0 });
      this.error = ERROR_PIPE_CONNECTED;
      return false;
    }
    inst.state = 'waiting';
    inst.acceptOv = v;
    this.error = ERROR_IO_PENDING;
    return false;
  }

  getNamedPipeClientProcessId(pipe: number, pid: number[]): boolean {
    this.calls.push(`GetNamedPipeClientProcessId 0x${pipe.toString(16)}`);
    pid[0] = this.pipe(pipe).client!.identity.pid;
    return true;
  }

  getNamedPipeClientSessionId(pipe: number, session: number[]): boolean {
    this.calls.push(`GetNamedPipeClientSessionId 0x${pipe.toString(16)}`);
    session[0] = this.pipe(pipe).client!.identity.session;
    return true;
  }

  readFile(h: number, buf: unknown, len: number, ov: unknown): boolean {
    const inst = this.pipe(h);
    const v = this.start(ov);
    if (inst.pendingRead) this.misuse.push('two reads pending');
    inst.pendingRead = { buf: buf as Buffer, len, ov: v };
    if (inst.client?.closed) {
      inst.pendingRead = null;
      this.ops.delete(v);
      this.error = ERROR_BROKEN_PIPE;
      return false;
    }
    this.feed(inst);
    if (inst.pendingRead === null) return true;
    this.error = ERROR_IO_PENDING;
    return false;
  }

  writeFile(h: number, buf: unknown, len: number, ov: unknown): boolean {
    const inst = this.pipe(h);
    const v = this.start(ov);
    if (!inst.client || inst.client.closed) {
      this.ops.delete(v);
      this.error = ERROR_NO_DATA;
      return false;
    }
    const data = (buf as Buffer).subarray(0, len).toString();
    if (inst.client.stallWrites) {
      if (inst.client.stalled.length > 0) this.misuse.push('two writes pending');
      inst.client.stalled.push({ data, ov: v, len });
      this.error = ERROR_IO_PENDING;
      return false;
    }
    inst.client.received += data;
    this.complete(v, len, 0);
    return true;
  }

  getOverlappedResult(h: number, ov: unknown, bytes: number[], wait: boolean): boolean {
    this.pipe(h);
    const op = this.ops.get(ov as Buffer);
    if (!op) {
      this.misuse.push('GetOverlappedResult without an operation');
      this.error = 87;
      return false;
    }
    if (!op.done) {
      if (wait) this.misuse.push('GetOverlappedResult(wait) on an operation nobody cancelled: would hang');
      this.error = ERROR_IO_INCOMPLETE;
      return false;
    }
    bytes[0] = op.bytes;
    if (op.error) {
      this.error = op.error;
      return false;
    }
    return true;
  }

  cancelIoEx(h: number, ov: unknown): boolean {
    this.calls.push(`CancelIoEx 0x${h.toString(16)}`);
    const inst = this.pipe(h);
    const op = this.ops.get(ov as Buffer);
    if (!op || op.done) return false;
    if (inst.pendingRead?.ov === ov) inst.pendingRead = null;
    this.complete(ov as Buffer, 0, ERROR_OPERATION_ABORTED);
    return true;
  }

  createEvent(manualReset: boolean, initialState: boolean): number {
    this.calls.push(`CreateEventW ${manualReset ? 'manual' : 'auto'}`);
    return this.alloc_({ kind: 'event', manual: manualReset, signaled: initialState });
  }

  setEvent(h: number): boolean {
    if (this.objects.get(h)?.kind !== 'event') this.misuse.push(`SetEvent on 0x${h.toString(16)}`);
    this.signal(h);
    return true;
  }

  resetEvent(h: number): boolean {
    const o = this.objects.get(h);
    if (o?.kind === 'event') o.signaled = false;
    else this.misuse.push(`ResetEvent on 0x${h.toString(16)}`);
    return true;
  }

  readonly waitForMultipleObjects = Object.assign(
    (): number => {
      throw new Error('the listener must wait on a worker thread (.async)');
    },
    {
      async: (count: number, buf: Buffer, all: boolean, ms: number, cb: (e: unknown, r: number) => void) => {
        const handles = Array.from({ length: count }, (_, i) => Number(buf.readBigInt64LE(8 * i)));
        if (all) this.misuse.push('waitAll');
        for (const h of handles)
          if (this.objects.get(h)?.kind !== 'event') this.misuse.push(`waiting on 0x${h.toString(16)}`);
        let fired = false;
        const waiter = {
          handles,
          fire: (i: number) => {
            if (fired) return;
            fired = true;
            this.waiters.splice(this.waiters.indexOf(waiter), 1);
            clearTimeout(timer);
            const ev = this.objects.get(handles[i]!);
            if (ev?.kind === 'event' && !ev.manual) ev.signaled = false;
            setImmediate(() => cb(null, i));
          },
        };
        const timer = setTimeout(() => {
          if (fired) return;
          fired = true;
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          cb(null, WAIT_TIMEOUT);
        }, ms);
        this.waiters.push(waiter);
        const ready = handles.findIndex((h) => {
          const o = this.objects.get(h);
          return o?.kind === 'event' && o.signaled;
        });
        if (ready >= 0) waiter.fire(ready);
      },
    },
  );

  closeHandle(h: number): boolean {
    const o = this.objects.get(h);
    if (!o) {
      this.misuse.push(`CloseHandle of a closed handle 0x${h.toString(16)}`);
      return false;
    }
    if (this.waiters.some((w) => w.handles.includes(h)))
      this.misuse.push(`closing 0x${h.toString(16)} while a wait uses it`);
    if (o.kind === 'pipe') {
      if (o.inst.pendingRead || (o.inst.acceptOv && !this.ops.get(o.inst.acceptOv)?.done))
        this.misuse.push('closing a pipe with I/O pending');
      o.inst.state = 'closed';
      if (o.inst.client) o.inst.client.serverClosed = true;
      this.calls.push(`CloseHandle pipe 0x${h.toString(16)}`);
    } else if (o.kind === 'process' || o.kind === 'token') this.calls.push(`CloseHandle ${o.kind}`);
    this.objects.delete(h);
    return true;
  }

  openProcess(access: number, inherit: boolean, pid: number): number {
    this.calls.push(`OpenProcess 0x${access.toString(16)} ${inherit} ${pid}`);
    if (!this.processes.has(pid)) {
      this.error = 87;
      return 0;
    }
    return this.alloc_({ kind: 'process', pid });
  }

  openProcessToken(process: number, access: number, token: number[]): boolean {
    const o = this.objects.get(process);
    this.calls.push(`OpenProcessToken ${o?.kind} 0x${access.toString(16)}`);
    if (o?.kind !== 'process') return false;
    token[0] = this.alloc_({ kind: 'token', id: this.processes.get(o.pid)! });
    return true;
  }

  getTokenInformation(token: number, cls: number, info: unknown, len: number, returned: number[]): boolean {
    this.calls.push(`GetTokenInformation ${cls} ${len}`);
    const o = this.objects.get(token);
    if (o?.kind !== 'token') return false;
    const view = info as Buffer;
    const base = this.blocks.get(view)?.address ?? 0n;
    const id = o.id;
    const bytes =
      cls === 1
        ? encodeTokenUser(id.user, base)
        : cls === 2
          ? encodeTokenGroups(id.groups, base)
          : Buffer.from(Uint32Array.of(id.tokenSession ?? id.session).buffer);
    returned[0] = bytes.length;
    if (bytes.length > len) {
      this.error = ERROR_INSUFFICIENT_BUFFER;
      return false;
    }
    bytes.copy(view);
    return true;
  }

  convertSddl(sddl: string, revision: number): { ptr: unknown; address: bigint } | null {
    this.calls.push(`ConvertStringSecurityDescriptorToSecurityDescriptorW ${sddl} ${revision}`);
    this.sddls.push(sddl);
    return { ptr: { sddl }, address: 0x5d0000n };
  }

  localFree(ptr: unknown): void {
    this.freedDescriptors.push(ptr);
  }

  lastError(): number {
    return this.error;
  }

  alloc(size: number): NativeBlock {
    const view = Buffer.alloc(size);
    const address = this.nextAddress;
    this.nextAddress += 0x10000n;
    const rec = { address, freed: false };
    this.blocks.set(view, rec);
    return {
      ptr: view,
      address,
      view,
      free: () => {
        if (rec.freed) this.misuse.push('double free');
        const op = this.ops.get(view);
        if (op && !op.done) this.misuse.push('freeing an OVERLAPPED the kernel still uses');
        rec.freed = true;
      },
    };
  }
}
