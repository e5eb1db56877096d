/**
 * `ferry` end to end in-process (no lab): version and usage, import/profiles in human and JSON form, and connect
 * failing by class before any server is involved — invalid file (3), missing secrets (4), no helper (15) — and
 * status/diag/disconnect with nothing running (5). Human output formats are checked on fixed data.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PhaseEntry } from '../../../core/connection/timeline';
import { main } from '../../../main/cli/main';
import {
  connectionSummary,
  errorLine,
  phaseLine,
  type StatusResult,
  stateLine,
} from '../../../main/cli/output';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ferry-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function ferry(args: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    [
      ...args,
      '--config-dir',
      join(dir, 'profiles'),
      '--system-dir',
      'none',
      '--policy',
      'none',
      '--control',
      join(dir, 'run', 'cli.sock'),
    ],
    { out: (t) => out.push(t), err: (t) => err.push(t), env },
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const good = {
  id: 'corp',
  name: 'Corp',
  server: '192.0.2.1',
  userAuth: { username: 'alice', methods: ['mschapv2', 'pap'] },
};
const file = (name: string, profile: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify({ format: 'ferry-profile', version: 1, profile }));
  return p;
};

describe('ferry main', () => {
  it('prints the version and the usage; a usage error exits 2', async () => {
    expect(await ferry(['--version'])).toMatchObject({
      code: 0,
      out: expect.stringMatching(/^ferry \d+\.\d+\.\d+/),
    });
    expect((await ferry(['help'])).out).toContain('usage: ferry <command>');
    const bad = await ferry(['connect']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('ferry connect needs a profile file or name');
  });

  it('import validates and stores; profiles lists with warnings; JSON output is the data', async () => {
    const imp = await ferry(['import', file('corp.ferry.json', good)]);
    expect(imp.code).toBe(0);
    expect(imp.out).toContain('imported corp (Corp)');
    expect(imp.err).toContain('PAP is allowed');
    const list = await ferry(['profiles']);
    expect(list.out).toMatch(/corp\s+Corp\n\s+192\.0\.2\.1, alice, full tunnel, mschapv2\/pap/);
    const json = JSON.parse((await ferry(['profiles', '--json'])).out);
    expect(json.profiles.map((p: { profile: { id: string } }) => p.profile.id)).toEqual(['corp']);
    expect(json.policy).toEqual({
      lockEditing: false,
      forceFullTunnel: false,
      forbidLegacy: false,
      forbidPap: false,
    });
  });

  it('an invalid profile file: field errors, exit 3 (human and JSON)', async () => {
    const bad = file('bad.ferry.json', { ...good, server: 'bad host!', mtu: 1 });
    const h = await ferry(['connect', bad]);
    expect(h.code).toBe(3);
    expect(h.err).toContain('profile.server: not an IPv4 address or host name');
    expect(h.err).toContain('profile.mtu');
    const j = await ferry(['connect', bad, '--json']);
    expect(j.code).toBe(3);
    expect(JSON.parse(j.out)).toMatchObject({
      exit: 3,
      error: {
        code: 'invalid-profile',
        fields: expect.arrayContaining([expect.objectContaining({ path: 'profile.server' })]),
      },
    });
    expect((await ferry(['import', bad])).code).toBe(3);
    expect((await ferry(['connect', 'no-such-profile'])).code).toBe(3);
  });

  it('no secrets and no terminal: exit 4, naming the environment variables', async () => {
    const r = await ferry(['connect', file('corp.ferry.json', good)]);
    expect(r.code).toBe(4);
    expect(r.err).toContain('FERRY_PSK');
  });

  it('no helper: exit 15 after a clean failure; the secrets appear nowhere', async () => {
    const r = await ferry(
      ['connect', file('corp.ferry.json', good), '--helper-socket', join(dir, 'nope', 'helper.sock')],
      {
        FERRY_PSK: 'unit-psk-value',
        FERRY_PASSWORD: 'unit-password-value',
      },
    );
    expect(r.code).toBe(15);
    expect(r.err).toMatch(/Privileged helper: .* \[helper-unavailable, exit 15\]/);
    expect(`${r.out}${r.err}`).not.toMatch(/unit-psk-value|unit-password-value/);
    // The control socket is gone again: nothing claims to be running.
    expect((await ferry(['status'])).code).toBe(5);
  });

  it('status, diag and disconnect with nothing running: exit 5', async () => {
    mkdirSync(join(dir, 'run'), { mode: 0o700 });
    for (const cmd of ['status', 'diag', 'disconnect']) {
      const r = await ferry([cmd]);
      expect(r.code).toBe(5);
      expect(r.err).toContain('no ferry connect is running');
    }
    expect(JSON.parse((await ferry(['status', '--json'])).out)).toEqual({
      error: { code: 'not-running', message: 'no ferry connect is running' },
      exit: 5,
    });
  });
});

describe('human output', () => {
  const phases: PhaseEntry[] = [
    { phase: 'ike-phase1', startMs: 0, durationMs: 18.4, result: 'ok', detail: 'aes256-sha256-modp2048' },
    { phase: 'auth', startMs: 40, durationMs: null, result: 'running' },
  ];

  it('phase lines, error lines and states', () => {
    expect(phaseLine(phases[0]!)).toBe('  IKE phase 1          ok          18 ms  aes256-sha256-modp2048');
    expect(phaseLine(phases[1]!)).toBe('  PPP authentication   running');
    expect(
      errorLine(
        {
          phase: 'ike-phase1',
          code: 'auth-failed',
          message: 'authentication failed',
          hint: 'check the pre-shared key',
        },
        10,
      ),
    ).toBe('ferry: IKE phase 1: authentication failed — check the pre-shared key [auth-failed, exit 10]');
    expect(stateLine({ kind: 'connecting', phase: 'lcp' })).toBe('connecting: PPP LCP');
    expect(stateLine({ kind: 'disconnected', reason: 'user' })).toBe('disconnected (user)');
  });

  it('the connected summary shows address, algorithms, routes, DNS and traffic', () => {
    const s: StatusResult = {
      pid: 1,
      startedAt: 'now',
      profile: { id: 'corp', name: 'Corp', server: '192.0.2.1', routing: 'split' },
      connection: {
        profileId: 'corp',
        state: {
          kind: 'connected',
          since: Date.now() - 65_000,
          addresses: { localIp: '10.9.0.5', peerIp: '10.9.0.1', dns: ['10.9.0.1'], mtu: 1400 },
          algorithms: {
            ike: 'aes256-sha256-modp2048',
            esp: 'aes256gcm16',
            natT: 'rfc3947 (forced)',
            pppAuth: 'mschapv2',
          },
        },
        phases,
        counters: {
          ip: { packetsIn: 3, packetsOut: 4, bytesIn: 2048, bytesOut: 100, drops: { 'not-connected': 2 } },
          carrier: {},
          l2tp: null,
          ppp: null,
        },
        routes: ['10.1.0.0/16 dev ferry0'],
        dns: ['10.9.0.1'],
        reconnect: null,
      },
      algorithms: {
        ike: 'aes256-sha256-modp2048',
        esp: 'aes256gcm16',
        natT: 'rfc3947 (forced)',
        pppAuth: 'mschapv2',
      },
      addresses: { localIp: '10.9.0.5', peerIp: '10.9.0.1', dns: ['10.9.0.1'], mtu: 1400 },
      network: {
        tunName: 'ferry0',
        routes: ['10.1.0.0/16 dev ferry0'],
        dns: ['10.9.0.1'],
        searchDomains: [],
        dnsMethod: 'resolv.conf',
        killSwitch: false,
      },
      tun: null,
    };
    expect(connectionSummary(s).split('\n')).toEqual([
      'Corp (corp) → 192.0.2.1: connected (10.9.0.5)',
      '  up for            1 min 5 s',
      '  address           10.9.0.5 peer 10.9.0.1 mtu 1400 on ferry0',
      '  algorithms        IKE aes256-sha256-modp2048, ESP aes256gcm16, NAT-T rfc3947 (forced), PPP mschapv2',
      '  routing           split',
      '    10.1.0.0/16 dev ferry0',
      '  DNS               10.9.0.1 (resolv.conf)',
      '  traffic           in 3 packets / 2.0 KiB, out 4 packets / 100 B',
      '  dropped           not-connected 2',
    ]);
  });
});
