/**
 * The control socket between `ferry status|diag|disconnect` and a running `ferry connect`: permissions, one
 * request/one answer, errors, a live socket refused, a stale one replaced, an untrusted directory refused.
 */

import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { controlRequest } from '../../../main/cli/control/client';
import { parseControlRequest, parseControlResponse } from '../../../main/cli/control/protocol';
import { ControlServer } from '../../../main/cli/control/server';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ferry-control-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('control socket', () => {
  it('answers requests over a 0600 socket in a 0700 directory, and removes it on close', async () => {
    const path = join(root, 'run', 'ferry', 'cli.sock');
    const seen: string[] = [];
    const server = await ControlServer.listen(path, async (req) => {
      seen.push(req.type);
      if (req.type === 'diag') throw Object.assign(new Error('nothing yet'), { code: 'no-diagnostics' });
      return { pid: 42, state: 'connected' };
    });
    if (server === 'running') throw new Error('unexpected');
    expect(lstatSync(join(root, 'run', 'ferry')).mode & 0o777).toBe(0o700);
    expect(lstatSync(path).mode & 0o777).toBe(0o600);
    expect(await controlRequest(path, 'status')).toEqual({
      kind: 'ok',
      result: { pid: 42, state: 'connected' },
    });
    expect(await controlRequest(path, 'diag')).toEqual({
      kind: 'error',
      code: 'no-diagnostics',
      message: 'nothing yet',
    });
    expect(seen).toEqual(['status', 'diag']);
    expect(await ControlServer.listen(path, async () => null)).toBe('running');
    await server.close();
    expect(() => lstatSync(path)).toThrow();
    expect(await controlRequest(path, 'status')).toMatchObject({ kind: 'not-running' });
  });

  it('replaces a stale socket left by a killed process, but never a regular file', async () => {
    const dir = join(root, 'c');
    mkdirSync(dir, { mode: 0o700 });
    const path = join(dir, 'cli.sock');
    // What kill -9 of a `ferry connect` leaves behind: the socket file, with nobody listening.
    spawnSync(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    expect(lstatSync(path).isSocket()).toBe(true);
    expect(await controlRequest(path, 'status')).toMatchObject({ kind: 'not-running' });
    const server = await ControlServer.listen(path, async () => 'alive');
    if (server === 'running') throw new Error('a stale socket was taken for a live one');
    expect(await controlRequest(path, 'status')).toEqual({ kind: 'ok', result: 'alive' });
    await server.close();
    const file = join(dir, 'file.sock');
    writeFileSync(file, 'not a socket');
    await expect(ControlServer.listen(file, async () => null)).rejects.toThrow(/not a socket/);
  });

  it('the client refuses a socket in a directory others can write to', async () => {
    const dir = join(root, 'open');
    mkdirSync(dir);
    const path = join(dir, 'cli.sock');
    const server = await ControlServer.listen(path, async () => 'x');
    if (server === 'running') throw new Error('unexpected');
    chmodSync(dir, 0o777);
    expect(await controlRequest(path, 'status')).toMatchObject({ kind: 'error', code: 'control-untrusted' });
    await server.close();
  });

  it('malformed requests get an error line; responses are validated', async () => {
    expect(parseControlRequest('{"id":1,"type":"status"}')).toEqual({
      ok: true,
      value: { id: 1, type: 'status' },
    });
    expect(parseControlRequest('{"id":1,"type":"shell"}').ok).toBe(false);
    expect(parseControlRequest('{"id":1,"type":"status","cmd":"rm"}').ok).toBe(false);
    expect(parseControlRequest('nope').ok).toBe(false);
    expect(parseControlResponse('{"id":1,"ok":true,"result":{"a":1}}').ok).toBe(true);
    expect(parseControlResponse('{"id":1,"ok":false,"error":{"code":"x"}}').ok).toBe(false);
  });
});
