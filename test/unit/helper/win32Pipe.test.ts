import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, type LogEntry } from '../../../core/common/log';
import { WINDOWS_PIPE } from '../../../main/helper/config';
import { Journal, memoryStore } from '../../../main/helper/journal';
import { servePipeConnection } from '../../../main/helper/main';
import { HelperService } from '../../../main/helper/service';
import { pipeSddl, SID_ADMINISTRATORS, SID_INTERACTIVE } from '../../../main/helper/win32/pipeAuth';
import { MAX_PIPE_CONNECTIONS, PipeListener } from '../../../main/helper/win32/pipeListener';
import { type FakeIdentity, FakePipeKernel } from './fakePipeKernel';
import { FakeBackend } from './fakes';

const USERS = 'S-1-5-32-545';
const ENABLED = 0x7; // mandatory | enabled by default | enabled
const DENY_ONLY = 0x10;
const alice: FakeIdentity = {
  pid: 4100,
  session: 1,
  user: 'S-1-5-21-1004336348-1177238915-682003330-1001',
  groups: [
    { sid: USERS, attributes: ENABLED },
    { sid: SID_INTERACTIVE, attributes: ENABLED },
    // A non-elevated administrator: the group is there for deny only.
    { sid: SID_ADMINISTRATORS, attributes: DENY_ONLY },
  ],
};
const networkService: FakeIdentity = {
  pid: 4200,
  session: 0,
  user: 'S-1-5-20',
  groups: [
    { sid: USERS, attributes: ENABLED },
    { sid: 'S-1-5-6', attributes: ENABLED },
    { sid: SID_INTERACTIVE, attributes: DENY_ONLY },
  ],
};
const elevated: FakeIdentity = {
  pid: 4300,
  session: 1,
  user: 'S-1-5-21-1004336348-1177238915-682003330-500',
  groups: [{ sid: SID_ADMINISTRATORS, attributes: 0xf }],
};
const system: FakeIdentity = { pid: 900, session: 0, user: 'S-1-5-18', groups: [] };

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const l of open.splice(0)) await l.close();
});

function helper(groupSid: string | null = null) {
  const k = new FakePipeKernel();
  const os = new FakeBackend();
  const logs: LogEntry[] = [];
  const log = createLogger({ sinks: [(e) => logs.push(e)] });
  const service = new HelperService(os, new Journal(memoryStore()), log);
  const listener = PipeListener.listen(
    {
      name: WINDOWS_PIPE,
      groupSid,
      logger: log,
      onConnection: ({ stream, client }) =>
        servePipeConnection(stream, client, { service, policy: { group: groupSid }, log }),
    },
    k,
  );
  open.push(listener);
  return { k, os, logs, listener, service };
}

const hello = (id: number) => `{"id":${id},"type":"hello","args":{"version":1}}\n`;
const settle = () => new Promise((r) => setTimeout(r, 20));

describe('Windows pipe listener: the exact calls', () => {
  it('creates the pipe with the restricted DACL, first-instance and no remote clients, and waits overlapped', () => {
    const { k } = helper();
    expect(pipeSddl(null)).toBe('D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GRGW;;;IU)');
    expect(k.calls).toEqual([
      'ConvertStringSecurityDescriptorToSecurityDescriptorW D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GRGW;;;IU) 1',
      // PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE; PIPE_TYPE_BYTE |
      // PIPE_REJECT_REMOTE_CLIENTS; unlimited instances, 64 KiB buffers; SECURITY_ATTRIBUTES {24, &descriptor}
      `CreateNamedPipeW ${WINDOWS_PIPE} 0x40080003 0x8 255 65536 65536 0 sa=24:0x5d0000`,
      'CreateEventW auto',
      'CreateEventW manual',
      'ConnectNamedPipe 0x100',
    ]);
    expect(WINDOWS_PIPE).toBe('\\\\.\\pipe\\ProtectedPrefix\\Administrators\\Ferry\\helper');
  });

  it('puts a --group SID in the DACL instead of the interactive users', () => {
    const { k } = helper('S-1-5-21-1-2-3-1010');
    expect(k.sddls).toEqual(['D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GRGW;;;S-1-5-21-1-2-3-1010)']);
  });

  it('refuses to start when the name already exists (another helper, or a squatter)', () => {
    const k = new FakePipeKernel();
    k.squatted.add(WINDOWS_PIPE);
    const log = createLogger({ sinks: [] });
    expect(() =>
      PipeListener.listen(
        { name: WINDOWS_PIPE, groupSid: null, logger: log, onConnection: () => undefined },
        k,
      ),
    ).toThrow(/error 5\).*already serves/);
    expect(k.openHandles()).toEqual([]);
    expect(k.liveBlocks()).toBe(0);
    expect(k.freedDescriptors).toHaveLength(1);
  });

  it('reads the client token before reading a byte, then serves it; the next instance is ready at once', async () => {
    const { k, listener } = helper();
    k.calls.length = 0;
    const c = k.connect(WINDOWS_PIPE, alice);
    await settle();
    expect(k.calls).toEqual([
      'CreateEventW manual',
      'CreateEventW manual',
      // the next client's instance first, without FILE_FLAG_FIRST_PIPE_INSTANCE
      `CreateNamedPipeW ${WINDOWS_PIPE} 0x40000003 0x8 255 65536 65536 0 sa=24:0x5d0000`,
      'ConnectNamedPipe 0x114',
      'GetNamedPipeClientProcessId 0x100',
      'GetNamedPipeClientSessionId 0x100',
      'OpenProcess 0x1000 false 4100', // PROCESS_QUERY_LIMITED_INFORMATION
      'OpenProcessToken process 0x8', // TOKEN_QUERY
      'CloseHandle process',
      'GetTokenInformation 1 1024', // TokenUser
      'GetTokenInformation 2 1024', // TokenGroups
      'GetTokenInformation 12 4', // TokenSessionId
      'CloseHandle token',
    ]);
    c.write(hello(1));
    c.write('{"id":2,"type":"status"}\n');
    expect(await c.lines(2)).toMatchObject([
      { id: 1, ok: true, result: { version: 1, uid: null } },
      { id: 2, ok: true, result: { sessions: 1 } },
    ]);
    expect(listener.connections).toBe(1);
    expect(k.misuse).toEqual([]);
  });

  it('grows the token buffer when GetTokenInformation asks for more', async () => {
    const { k } = helper();
    const many = Array.from({ length: 60 }, (_, i) => ({
      sid: `S-1-5-21-9-9-9-${2000 + i}`,
      attributes: ENABLED,
    }));
    const c = k.connect(WINDOWS_PIPE, { ...alice, groups: [...alice.groups, ...many] });
    await settle();
    const sizes = k.calls.filter((l) => l.startsWith('GetTokenInformation 2'));
    expect(sizes).toEqual([
      'GetTokenInformation 2 1024',
      `GetTokenInformation 2 ${8 + 16 * 63 + (16 + 12 + 16) + 28 * 60}`,
    ]);
    c.write(hello(1));
    expect(await c.lines(1)).toMatchObject([{ id: 1, ok: true }]);
  });
});

describe('Windows pipe listener: who may connect', () => {
  it('refuses a service account with one typed refusal, logs it, closes, and keeps serving', async () => {
    const { k, logs } = helper();
    const bad = k.connect(WINDOWS_PIPE, networkService);
    await settle();
    expect(await bad.lines(1)).toEqual([
      { id: null, ok: false, error: { code: 'unauthorized', message: 'this user may not use the helper' } },
    ]);
    expect(await bad.closedByServer()).toBe(true);
    bad.write(hello(1));
    await settle();
    expect(bad.received).toBe('');
    expect(logs.find((l) => l.msg === 'connection refused: peer not authorized')?.fields).toEqual({
      sid: 'S-1-5-20',
      pid: 4200,
      session: 0,
    });
    const good = k.connect(WINDOWS_PIPE, alice);
    good.write(hello(2));
    expect(await good.lines(1)).toMatchObject([{ id: 2, ok: true }]);
    expect(k.misuse).toEqual([]);
  });

  it('allows SYSTEM and an elevated administrator; deny-only Administrators alone is not enough', async () => {
    const { k } = helper(null);
    for (const id of [system, elevated]) {
      const c = k.connect(WINDOWS_PIPE, id);
      c.write(hello(id.pid));
      expect(await c.lines(1)).toMatchObject([{ id: id.pid, ok: true }]);
    }
    const filtered = { ...alice, pid: 4400, groups: [{ sid: SID_ADMINISTRATORS, attributes: DENY_ONLY }] };
    const c = k.connect(WINDOWS_PIPE, filtered);
    expect(await c.lines(1)).toMatchObject([{ id: null, error: { code: 'unauthorized' } }]);
  });

  it('with --group, an interactive user outside the group is refused and a member served', async () => {
    const group = 'S-1-5-21-1-2-3-1010';
    const { k } = helper(group);
    const outsider = k.connect(WINDOWS_PIPE, alice);
    expect(await outsider.lines(1)).toMatchObject([{ id: null, error: { code: 'unauthorized' } }]);
    const member = k.connect(WINDOWS_PIPE, {
      ...alice,
      pid: 4500,
      groups: [{ sid: group, attributes: ENABLED }],
    });
    member.write(hello(1));
    expect(await member.lines(1)).toMatchObject([{ id: 1, ok: true }]);
  });

  it('closes without a word when the pid now belongs to another session (pid reuse) or is gone', async () => {
    const { k, logs } = helper();
    const reused = k.connect(WINDOWS_PIPE, { ...system, pid: 4600, session: 1, tokenSession: 0 });
    expect(await reused.closedByServer()).toBe(true);
    expect(reused.received).toBe('');
    const gone = k.connect(WINDOWS_PIPE, { ...alice, pid: 4700 });
    k.processes.delete(4700);
    await settle();
    expect(await gone.closedByServer()).toBe(true);
    const reasons = logs
      .filter((l) => l.msg === 'connection without client identity refused')
      .map((l) => l.fields.reason);
    expect(reasons).toEqual([
      'client pid 4600 is in session 0, the pipe client in 1',
      'OpenProcess(4700) failed (error 87)',
    ]);
    const c = k.connect(WINDOWS_PIPE, alice);
    c.write(hello(1));
    expect(await c.lines(1)).toMatchObject([{ id: 1, ok: true }]);
    expect(k.misuse).toEqual([]);
  });
});

describe('Windows pipe listener: sessions over the pipe', () => {
  it('refuses malformed and oversized lines with typed codes and keeps serving the session', async () => {
    const { k } = helper();
    const c = k.connect(WINDOWS_PIPE, alice);
    c.write('not json\n');
    c.write(`{"id":1,"type":"status","args":{"x":"${'y'.repeat(70_000)}"}}\n`);
    c.write(hello(2));
    expect(await c.lines(3)).toMatchObject([
      { id: null, error: { code: 'malformed' } },
      { id: null, error: { code: 'too-large' } },
      { id: 2, ok: true },
    ]);
  });

  it('holds responses while the client does not read, then sends them in order', async () => {
    const { k } = helper();
    const c = k.connect(WINDOWS_PIPE, alice);
    c.stallWrites = true;
    for (let id = 1; id <= 3; id++) c.write(hello(id));
    await settle();
    expect(c.received).toBe('');
    expect(c.pendingWrites()).toBe(1);
    c.drain(); // the first response leaves; the two queued meanwhile go out in one WriteFile
    await settle();
    c.drain();
    expect((await c.lines(3)).map((l) => (l as { id: number }).id)).toEqual([1, 2, 3]);
    expect(k.misuse).toEqual([]);
  });

  it('stops reading while 32 requests wait (backpressure), then reads on and answers all in order', async () => {
    const { k, os } = helper();
    let open: () => void = () => undefined;
    os.createGate = new Promise<void>((r) => {
      open = r;
    });
    const c = k.connect(WINDOWS_PIPE, alice);
    const burst = ['{"id":0,"type":"createTun","args":{}}\n'];
    for (let id = 1; id <= 40; id++) burst.push(`{"id":${id},"type":"status"}\n`);
    c.write(burst.join(''));
    await settle();
    c.write('{"id":41,"type":"status"}\n');
    await settle();
    expect(c.inbound.length).toBe(1); // not read: the session is paused
    open();
    const ids = (await c.lines(42)).map((l) => (l as { id: number }).id);
    expect(ids).toEqual(Array.from({ length: 42 }, (_, i) => i));
    expect(k.misuse).toEqual([]);
  });

  it('undoes what a session applied when its client goes away, and releases the instance', async () => {
    const { k, os, listener } = helper();
    const baseline = os.snapshot();
    const c = k.connect(WINDOWS_PIPE, alice);
    c.write('{"id":1,"type":"createTun","args":{}}\n');
    c.write('{"id":2,"type":"addRoutes","args":{"name":"ferry0","cidrs":["10.9.0.0/16"]}}\n');
    expect(await c.lines(2)).toMatchObject([
      { id: 1, ok: true },
      { id: 2, ok: true },
    ]);
    expect(os.snapshot()).not.toBe(baseline);
    c.close();
    for (let i = 0; i < 100 && (os.snapshot() !== baseline || listener.connections > 0); i++) await settle();
    expect(os.snapshot()).toBe(baseline);
    expect(listener.connections).toBe(0);
    expect(k.instances(WINDOWS_PIPE)).toEqual(['waiting']);
    expect(k.misuse).toEqual([]);
  });

  it(`accepts ${MAX_PIPE_CONNECTIONS} clients at most, then a freed slot lets the next in`, async () => {
    const { k } = helper();
    // A real client that finds every instance busy waits (WaitNamedPipeW) and retries: so do these.
    const clients = [];
    for (let i = 0; i < MAX_PIPE_CONNECTIONS; i++) {
      clients.push(k.connect(WINDOWS_PIPE, { ...alice, pid: 5000 + i }));
      await settle();
    }
    expect(k.instances(WINDOWS_PIPE).filter((s) => s === 'connected')).toHaveLength(MAX_PIPE_CONNECTIONS);
    expect(() => k.connect(WINDOWS_PIPE, { ...alice, pid: 6000 })).toThrow(/PIPE_BUSY/);
    clients[0]!.close();
    for (let i = 0; i < 100 && !k.instances(WINDOWS_PIPE).includes('waiting'); i++) await settle();
    const late = k.connect(WINDOWS_PIPE, { ...alice, pid: 6001 });
    late.write(hello(1));
    expect(await late.lines(1)).toMatchObject([{ id: 1, ok: true }]);
    expect(k.misuse).toEqual([]);
  });

  it('close() cancels what is pending and releases every handle, block and the descriptor', async () => {
    const { k, listener, os } = helper();
    const c = k.connect(WINDOWS_PIPE, alice);
    c.write('{"id":1,"type":"createTun","args":{}}\n');
    await c.lines(1);
    await listener.close();
    open.length = 0;
    for (let i = 0; i < 50 && os.devices.size > 0; i++) await settle();
    expect(os.devices.size).toBe(0);
    expect(k.openHandles()).toEqual([]);
    expect(k.liveBlocks()).toBe(0);
    expect(k.freedDescriptors).toEqual([{ sddl: pipeSddl(null) }]);
    // the client's pending read and the next instance's ConnectNamedPipe, each waited for before closing
    expect(k.calls.slice(-4)).toEqual([
      'CancelIoEx 0x100',
      'CloseHandle pipe 0x100',
      'CancelIoEx 0x114',
      'CloseHandle pipe 0x114',
    ]);
    expect(k.misuse).toEqual([]);
  });
});
