/**
 * SPEC §2 algorithm policy against strongSwan in the VM (issue 6 acceptance): servers that accept only AES-GCM
 * ESP, only SHA-2, only ECP-256 in phase 1 — each reached with the default proposal union — and a legacy server
 * (3DES/MODP-1024) that connects only when the profile enables legacy compatibility, with the legacy use reported
 * as a warning, and that fails with the no-proposal hint otherwise (also when IT's policy forbids legacy).
 */
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { IpsecAlgorithms } from '../../core/connection/ipsecCarrier';
import type { Profile } from '../../core/profile/schema';
import { enforcePolicy, NO_POLICY } from '../../main/service/profiles/policy';
import { reconfigure, type StrongSwanInfo, strongswanLab, vmExec } from '../lab/strongswan';
import { describeLab } from '../support/env';
import {
  connectFailure,
  connectOrExplain,
  labProfile,
  pingThrough,
  session,
  type TimingRow,
  timingRow,
} from './support/strongswan';

const rows: TimingRow[] = [];

async function tunnel(info: StrongSwanInfo, label: string, profile: Profile) {
  const s = session(info, profile);
  const up = await connectOrExplain(s);
  const rtt = await pingThrough(s.conn, up.addresses.localIp, info.tunnelPeerAddress);
  const xfrm = (await vmExec('ip xfrm state')).output;
  const algorithms = up.algorithms as IpsecAlgorithms;
  rows.push(
    timingRow(label, s.conn, {
      ike: String(algorithms.ike),
      esp: String(algorithms.esp),
      'ping ms': Math.round(rtt),
    }),
  );
  await s.conn.disconnect();
  return { algorithms, xfrm };
}

describeLab('algorithm policy against strongSwan (VM)', () => {
  let info: StrongSwanInfo;
  const t0 = performance.now();
  beforeAll(async () => {
    info = await strongswanLab.up();
  });
  afterAll(async () => {
    await strongswanLab.down();
    console.table(rows);
    console.log(`strongswan-algorithms total ${Math.round((performance.now() - t0) / 1000)} s`);
  });

  const servers: [string, { ike: string; esp: string }, { ike: string; esp: string; xfrm: RegExp }][] = [
    [
      'AES-GCM-only ESP',
      { ike: 'aes256-sha256-modp2048!', esp: 'aes128gcm16!' },
      { ike: 'aes256-sha256-modp2048', esp: 'aes128gcm16', xfrm: /aead rfc4106\(gcm\(aes\)\)/ },
    ],
    [
      'SHA-2-only',
      { ike: 'aes128-sha256-modp2048!', esp: 'aes128-sha256!' },
      { ike: 'aes128-sha256-modp2048', esp: 'aes128-sha256', xfrm: /auth-trunc hmac\(sha256\)/ },
    ],
    [
      'ECP-256 phase 1',
      { ike: 'aes256-sha256-ecp256!', esp: 'aes256-sha256!' },
      { ike: 'aes256-sha256-ecp256', esp: 'aes256-sha256', xfrm: /enc cbc\(aes\)/ },
    ],
  ];
  for (const [name, server, expected] of servers) {
    it(`connects with the default proposals to a server with ${name} (${server.ike} / ${server.esp})`, async () => {
      info = await reconfigure(server);
      const { algorithms, xfrm } = await tunnel(info, name, labProfile(info));
      expect(algorithms.ike).toBe(expected.ike);
      expect(algorithms.esp).toBe(expected.esp);
      expect(algorithms.legacy).toBe(false);
      expect(algorithms.warnings).toBeUndefined();
      expect(xfrm).toMatch(expected.xfrm);
    });
  }

  it('fails against a legacy server (3DES/MODP-1024) with the hint to enable legacy compatibility', async () => {
    info = await reconfigure({ ike: '3des-sha1-modp1024!', esp: '3des-sha1!' });
    const e = await connectFailure(session(info, labProfile(info)));
    expect(e).toMatchObject({ phase: 'ike-phase1', code: 'no-proposal-chosen' });
    expect(e.hint).toMatch(/enable legacy compatibility/);
    rows.push({ run: 'legacy server, legacy off', result: `${e.code}: ${e.hint.slice(0, 70)}` });
  });

  it('connects to the legacy server when the profile enables legacy, and warns that it is used', async () => {
    const profile = labProfile(info, { algorithms: { legacy: true } });
    const { algorithms, xfrm } = await tunnel(info, 'legacy server, legacy on', profile);
    expect(algorithms.ike).toBe('3des-sha1-modp1024');
    expect(algorithms.esp).toBe('3des-sha1');
    expect(algorithms.legacy).toBe(true);
    expect(algorithms.warnings?.join(' ')).toMatch(/IKE uses legacy 3DES, MODP-1024/);
    expect(algorithms.warnings?.join(' ')).toMatch(/ESP uses legacy 3DES/);
    expect(xfrm).toMatch(/enc cbc\(des3_ede\)/);
  });

  it("cannot be talked into legacy when IT's policy forbids it", async () => {
    const enforced = enforcePolicy(labProfile(info, { algorithms: { legacy: true } }), {
      ...NO_POLICY,
      forbidLegacy: true,
    });
    if (!enforced.ok) throw new Error(JSON.stringify(enforced.errors));
    expect(enforced.profile.algorithms.legacy).toBe(false);
    const e = await connectFailure(session(info, enforced.profile));
    expect(e).toMatchObject({ phase: 'ike-phase1', code: 'no-proposal-chosen' });
  });
});
