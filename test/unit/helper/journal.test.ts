import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/common/log';
import { fileStore, Journal, memoryStore, parseState, repairOrder } from '../../../main/helper/journal';
import { parseRequest, type Request } from '../../../main/helper/protocol';
import { HelperService } from '../../../main/helper/service';
import { FakeBackend } from './fakes';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function r(type: string, args: unknown = {}): Request {
  const p = parseRequest(JSON.stringify({ id: 1, type, args }));
  if (!p.ok) throw new Error(p.error.message);
  return p.value;
}

describe('state file', () => {
  it('is written atomically with mode 0600 and removed when nothing is left', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-journal-'));
    dirs.push(dir);
    const path = join(dir, 'state.json');
    const j = new Journal(fileStore(path), 77);
    const e = j.add('s1', 'ferry0', { kind: 'tun', name: 'ferry0' });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const parsed = parseState(readFileSync(path, 'utf8'));
    expect(parsed).toEqual({
      ok: true,
      value: [{ seq: 0, session: 's1', tun: 'ferry0', undo: { kind: 'tun', name: 'ferry0' } }],
    });
    expect(JSON.parse(readFileSync(path, 'utf8')).pid).toBe(77);
    j.remove(e);
    expect(() => statSync(path)).toThrow();
  });

  it('undoes leftovers newest first', () => {
    const entries = [0, 3, 1, 2].map((seq) => ({
      seq,
      session: 's',
      tun: null,
      undo: { kind: 'tun' as const, name: `t${seq}` },
    }));
    expect(repairOrder(entries).map((e) => e.seq)).toEqual([3, 2, 1, 0]);
  });

  it('rejects a corrupt or foreign file without throwing', () => {
    expect(parseState('{').ok).toBe(false);
    expect(parseState('{"format":"other","version":1,"pid":1,"entries":[]}').ok).toBe(false);
    expect(
      parseState(
        '{"format":"ferry-helper-state","version":1,"pid":1,"entries":[{"seq":0,"session":"s","tun":null,"undo":{"kind":"shell","cmd":"rm -rf /"}}]}',
      ).ok,
    ).toBe(false);
  });

  it('a helper that starts after a crash repairs what the state file says, and continues numbering', async () => {
    // First helper: applies a session's worth of changes, then "crashes" (its objects are simply dropped).
    const os = new FakeBackend();
    const store = memoryStore();
    const before = os.snapshot();
    const first = new HelperService(os, new Journal(store, 1), silentLogger);
    const s = first.openSession({ uid: 0, gid: 0, pid: 1, transport: 'socket' });
    const { name } = (await first.handle(s, r('createTun', { clampMss: true }))) as { name: string };
    await first.handle(s, r('setFullTunnel', { name, server: '203.0.113.9' }));
    await first.handle(s, r('setDns', { name, servers: ['10.0.0.53'] }));
    await first.handle(s, r('enableKillSwitch', { name, server: '203.0.113.9' }));
    expect(os.snapshot()).not.toBe(before);
    const left = store.text!;

    // Second helper on the same machine state and state file.
    const journal = new Journal(store, 2);
    const second = new HelperService(os, journal, silentLogger);
    const summary = await second.repair();
    expect(summary).toMatchObject({ undone: 7, failed: 0 });
    expect(os.snapshot()).toBe(before);
    expect(store.text).toBeNull();
    // repair order is the reverse of the journal
    const kinds = os.log.filter((l) => l.startsWith('undo')).map((l) => JSON.parse(l.slice(5)));
    const journaled = (JSON.parse(left).entries as { undo: unknown }[]).map((e) => e.undo).reverse();
    expect(kinds).toEqual(journaled);
    expect(journal.add('next', null, { kind: 'dns-resolved', link: 'x' }).seq).toBe(7);
    // a repair that cannot read the file touches nothing
    const broken = memoryStore('not json');
    const third = new HelperService(os, new Journal(broken, 3), silentLogger);
    expect(await third.repair()).toMatchObject({ undone: 0 });
    expect(broken.text).toBe('not json');
  });

  it('a failing undo during repair is logged and the rest still runs', async () => {
    const os = new FakeBackend();
    const store = memoryStore();
    const first = new HelperService(os, new Journal(store), silentLogger);
    const s = first.openSession({ uid: 0, gid: 0, pid: 1, transport: 'socket' });
    const { name } = (await first.handle(s, r('createTun'))) as { name: string };
    await first.handle(s, r('addRoutes', { name, cidrs: ['10.1.0.0/16'] }));
    os.failOn = (op, arg) => op === 'undo' && (arg ?? '').includes('"route"');
    const second = new HelperService(os, new Journal(store), silentLogger);
    expect(await second.repair()).toMatchObject({ undone: 1, failed: 1 });
    expect(os.devices.size).toBe(0);
    expect(store.text).toBeNull();
  });

  it('a file store survives a stale temp file from an interrupted write', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-journal-'));
    dirs.push(dir);
    const path = join(dir, 'state.json');
    writeFileSync(`${path}.tmp`, 'half a wri');
    const j = new Journal(fileStore(path));
    j.add('s', null, { kind: 'dns-resolved', link: 'ferry0' });
    expect(parseState(readFileSync(path, 'utf8')).ok).toBe(true);
  });
});
