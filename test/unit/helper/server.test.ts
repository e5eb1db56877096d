import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { isFerryError } from '../../../core/common/errors';
import { createLogger, type LogEntry, silentLogger } from '../../../core/common/log';
import { HelperClient, verifyHelperSocket } from '../../../main/helper/client';
import { Journal, memoryStore } from '../../../main/helper/journal';
import { authorizePeer } from '../../../main/helper/peerAuth';
import { MAX_MESSAGE_BYTES } from '../../../main/helper/protocol';
import { nodeStream, refuseUnauthorized, serveSession } from '../../../main/helper/server';
import { HelperService, type PeerInfo, type UndoSummary } from '../../../main/helper/service';
import { prng } from '../../support/fuzz';
import { FakeBackend } from './fakes';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function harness(peer: PeerInfo = { uid: 0, gid: 0, pid: 10, transport: 'socket' }) {
  const os = new FakeBackend();
  const logs: LogEntry[] = [];
  const logger = createLogger({ sinks: [(e) => logs.push(e)] });
  const service = new HelperService(os, new Journal(memoryStore()), logger);
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  let closed: (s: UndoSummary) => void = () => undefined;
  const sessionClosed = new Promise<UndoSummary>((res) => {
    closed = res;
  });
  serveSession({ service, logger, peer, stream: nodeStream(toServer, toClient), onClosed: (s) => closed(s) });
  const lines: unknown[] = [];
  let buf = '';
  toClient.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      lines.push(JSON.parse(buf.slice(0, i)));
      buf = buf.slice(i + 1);
    }
  });
  const next = async (n: number) => {
    for (let i = 0; i < 200 && lines.length < n; i++) await new Promise((r) => setTimeout(r, 5));
    return lines.splice(0, n);
  };
  return { os, service, logs, toServer, toClient, next, sessionClosed };
}

describe('helper server sessions', () => {
  it('answers in order, refuses malformed and oversized lines with typed codes, logs them, and keeps serving', async () => {
    const h = harness();
    h.toServer.write('{"id":1,"type":"status"}\n');
    h.toServer.write('this is not json\n');
    h.toServer.write(`{"id":2,"type":"status","args":{"x":"${'y'.repeat(MAX_MESSAGE_BYTES)}"}}\n`);
    h.toServer.write('{"id":3,"type":"rm","args":{}}\n');
    h.toServer.write('{"id":4,"type":"addRoutes","args":{"name":"ferry0","cidrs":["10.0.0.1/8"]}}\n');
    h.toServer.write('{"id":5,"type":"addRoutes","args":{"name":"eth0","cidrs":["10.0.0.0/8"]}}\n');
    h.toServer.write('{"id":6,"type":"hello","args":{"version":1}}\n');
    const out = (await h.next(7)) as { id: unknown; ok: boolean; error?: { code: string } }[];
    expect(out.map((o) => [o.id, o.ok ? 'ok' : o.error!.code])).toEqual([
      [1, 'ok'],
      [null, 'malformed'],
      [null, 'too-large'],
      [3, 'malformed'],
      [4, 'invalid-argument'],
      [5, 'not-ours'],
      [6, 'ok'],
    ]);
    const refused = h.logs.filter((l) => l.msg === 'request refused').map((l) => l.fields.code);
    expect(refused).toEqual(['malformed', 'too-large', 'malformed', 'invalid-argument', 'not-ours']);
  });

  it('survives random garbage in random chunks and still answers a valid request', async () => {
    const h = harness();
    const rand = prng(0xfe77);
    for (let i = 0; i < 2000; i++) {
      const chunk = Buffer.alloc(Math.floor(rand() * 200));
      for (let j = 0; j < chunk.length; j++) chunk[j] = Math.floor(rand() * 256);
      h.toServer.write(chunk);
    }
    h.toServer.write('\n{"id":"last","type":"status"}\n');
    let last: { id: unknown; ok: boolean } | undefined;
    const deadline = Date.now() + 10_000;
    while (!last && Date.now() < deadline) {
      const got = (await h.next(1)) as { id: unknown; ok: boolean }[];
      last = got.find((g) => g.id === 'last');
    }
    expect(last?.ok).toBe(true);
  });

  it('undoes everything the session applied when its stream ends', async () => {
    const h = harness();
    const before = h.os.snapshot();
    h.toServer.write('{"id":1,"type":"createTun","args":{}}\n');
    const [created] = (await h.next(1)) as { result: { name: string } }[];
    const name = created!.result.name;
    h.toServer.write(`{"id":2,"type":"setFullTunnel","args":{"name":"${name}","server":"198.51.100.7"}}\n`);
    h.toServer.write(`{"id":3,"type":"setDns","args":{"name":"${name}","servers":["10.0.0.53"]}}\n`);
    await h.next(2);
    expect(h.os.snapshot()).not.toBe(before);
    h.toServer.end();
    const summary = await h.sessionClosed;
    expect(summary.undone).toBe(5);
    expect(h.os.snapshot()).toBe(before);
  });

  it('requests still queued when the client leaves are not applied', async () => {
    const h = harness();
    const before = h.os.snapshot();
    let open: () => void = () => undefined;
    h.os.createGate = new Promise<void>((r) => {
      open = r;
    });
    for (let i = 0; i < 3; i++) h.toServer.write('{"id":1,"type":"createTun","args":{}}\n');
    await new Promise((r) => setTimeout(r, 20)); // the first createTun is now in flight
    h.toServer.end();
    await new Promise((r) => setTimeout(r, 20));
    open();
    await h.sessionClosed;
    expect(h.os.snapshot()).toBe(before);
    expect(h.os.log.filter((l) => l.startsWith('createTun'))).toHaveLength(1);
  });

  it('peer policy: root, listed uids and group members only', () => {
    const policy = { group: 4242, uids: [1234] };
    const c = (uid: number, gid: number, groups: number[] | null = []) => ({ pid: 1, uid, gid, groups });
    expect(authorizePeer(c(0, 0), policy)).toBe(true);
    expect(authorizePeer(c(1234, 1234), policy)).toBe(true);
    expect(authorizePeer(c(1000, 4242), policy)).toBe(true);
    expect(authorizePeer(c(1000, 1000, [27, 4242]), policy)).toBe(true);
    expect(authorizePeer(c(1000, 1000, [27]), policy)).toBe(false);
    expect(authorizePeer(c(1000, 1000, null), policy)).toBe(false);
    expect(authorizePeer(c(65534, 65534), { group: null, uids: [] })).toBe(false);
  });

  it('an unauthorized peer gets one typed refusal, is logged, and the client reports it', async () => {
    const toServer = new PassThrough();
    const toClient = new PassThrough();
    const logs: LogEntry[] = [];
    const stream = nodeStream(toServer, toClient);
    const refused = refuseUnauthorized(
      stream,
      { pid: 5, uid: 65534, gid: 65534, groups: [] },
      { group: 4242, uids: [] },
      createLogger({ sinks: [(e) => logs.push(e)] }),
    );
    expect(refused).toBe(true);
    expect(logs[0]?.fields).toMatchObject({ uid: 65534, pid: 5 });
    const err = await HelperClient.overTransport({
      input: toClient,
      write: (t) => toServer.write(t),
      close: () => toServer.end(),
    }).catch((e: unknown) => e);
    expect(isFerryError(err) && err.code).toBe('unauthorized');
  });
});

describe('helper client', () => {
  function served() {
    const os = new FakeBackend();
    const service = new HelperService(os, new Journal(memoryStore()), silentLogger);
    const toServer = new PassThrough();
    const toClient = new PassThrough();
    serveSession({
      service,
      logger: silentLogger,
      peer: { uid: null, gid: null, pid: null, transport: 'stdio' },
      stream: nodeStream(toServer, toClient),
    });
    return {
      os,
      transport: { input: toClient, write: (t: string) => toServer.write(t), close: () => toServer.end() },
    };
  }

  it('sends typed requests and turns refusals into FerryErrors with the refusal code', async () => {
    const { os, transport } = served();
    const client = await HelperClient.overTransport(transport);
    const { name } = await client.createTun({ mtu: 1380 });
    expect(os.log).toContain(`bringUp ${name} 1380`);
    expect(await client.addRoutes({ name, cidrs: ['10.9.0.0/16'] })).toEqual({ added: 1 });
    const e = await client.addRoutes({ name: 'eth0', cidrs: ['10.9.0.0/16'] }).catch((x: unknown) => x);
    expect(isFerryError(e) && [e.phase, e.code]).toEqual(['helper', 'not-ours']);
    const bad = await client.setMtu({ name, mtu: 20 }).catch((x: unknown) => x);
    expect(isFerryError(bad) && bad.code).toBe('invalid-argument');
    const closed = new Promise((r) => client.onClose(r));
    await client.close();
    expect(await closed).toBeNull();
    const after = await client.status().catch((x: unknown) => x);
    expect(isFerryError(after) && after.code).toBe('helper-closed');
  });

  it('refuses a request too large to send', async () => {
    const { transport } = served();
    const client = await HelperClient.overTransport(transport);
    const domains = Array.from({ length: 16 }, () => `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}`);
    const e = await client
      .request('setDns', {
        name: 'x'.repeat(15),
        servers: ['1.1.1.1'],
        searchDomains: Array(400).fill(domains[0]!),
      })
      .catch((x: unknown) => x);
    expect(isFerryError(e) && e.code).toBe('too-large');
  });

  it('verifies the socket owner and mode before use', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-sock-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const runDir = join(dir, 'run');
    mkdirSync(runDir, { mode: 0o750 });
    const path = join(runDir, 'helper.sock');
    const server: Server = createServer((s) => {
      serveSession({
        service: new HelperService(new FakeBackend(), new Journal(memoryStore()), silentLogger),
        logger: silentLogger,
        peer: { uid: 0, gid: 0, pid: 1, transport: 'socket' },
        stream: nodeStream(s, s),
      });
    });
    await new Promise<void>((r) => server.listen(path, r));
    cleanups.push(() => server.close());
    chmodSync(path, 0o660);
    const me = process.getuid!();
    expect(verifyHelperSocket(path, me)).toEqual({ ok: true, value: undefined });
    const client = await HelperClient.connect({ socketPath: path, expectedOwnerUid: me });
    expect((await client.status()).version).toBe(1);
    await client.close();

    expect(verifyHelperSocket(path, me + 1).ok).toBe(false);
    chmodSync(path, 0o666);
    expect(verifyHelperSocket(path, me)).toMatchObject({ ok: false, error: { kind: 'untrusted' } });
    const e = await HelperClient.connect({ socketPath: path, expectedOwnerUid: me }).catch((x: unknown) => x);
    expect(isFerryError(e) && e.code).toBe('helper-untrusted');
    chmodSync(path, 0o660);
    chmodSync(runDir, 0o777);
    expect(verifyHelperSocket(path, me).ok).toBe(false);
    chmodSync(runDir, 0o750);
    const file = join(runDir, 'not-a-socket');
    writeFileSync(file, '');
    expect(verifyHelperSocket(file, me).ok).toBe(false);
    expect(verifyHelperSocket(join(runDir, 'missing.sock'), me)).toMatchObject({
      ok: false,
      error: { kind: 'missing' },
    });
    const gone = await HelperClient.connect({
      socketPath: join(runDir, 'missing.sock'),
      expectedOwnerUid: me,
    }).catch((x: unknown) => x);
    expect(isFerryError(gone) && gone.code).toBe('helper-unavailable');
  });
});
