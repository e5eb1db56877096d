/**
 * SPEC §2 algorithm policy: the default proposal union, "send only these", legacy opt-in (off by default,
 * reported as a warning when used), an administrator's lock (main/service policy forbidLegacy), and the hints a
 * NO_PROPOSAL_CHOSEN gets — on the fake network for what the carrier reports.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FerryError } from '../../../core/common/errors';
import { explainNoProposal, legacyWarnings } from '../../../core/connection/algorithmPolicy';
import type { L2tpCarrier } from '../../../core/connection/carrier';
import type { IpsecAlgorithms } from '../../../core/connection/ipsecCarrier';
import { ipsecPolicy } from '../../../core/connection/ipsecProfile';
import { describeTransform } from '../../../core/esp/transforms';
import { describeProposal } from '../../../core/ike/proposals';
import {
  DEFAULT_PHASE1,
  DEFAULT_PHASE2,
  LEGACY_PHASE1,
  LEGACY_PHASE2,
} from '../../../core/profile/algorithms';
import { enforcePolicy, NO_POLICY, policyViolations } from '../../../main/service/profiles/policy';
import { profile, up, type World, world } from './support/ipsecWorld';

let w: World | null = null;
const open: L2tpCarrier[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await w?.clock.run(c.close());
  w?.close();
  w = null;
});

describe('the proposals a profile sends', () => {
  it('are the SPEC §2 union by default, legacy appended only when enabled, only the listed ones on request', () => {
    const def = ipsecPolicy(profile());
    expect(def.phase1.map(describeProposal)).toEqual([...DEFAULT_PHASE1]);
    expect(def.esp.map(describeTransform)).toEqual([...DEFAULT_PHASE2]);
    expect(def.legacy).toBe(false);
    const legacy = ipsecPolicy(profile({ algorithms: { legacy: true } }));
    expect(legacy.phase1.map(describeProposal)).toEqual([...DEFAULT_PHASE1, ...LEGACY_PHASE1]);
    expect(legacy.esp.map(describeTransform)).toEqual([...DEFAULT_PHASE2, ...LEGACY_PHASE2]);
    const only = ipsecPolicy(
      profile({
        algorithms: {
          phase1: ['aes128-sha256-ecp256'],
          phase2: ['aes128gcm16'],
          onlyTheseProposals: true,
          pfsGroup: 'ecp256',
        },
      }),
    );
    expect(only.phase1.map(describeProposal)).toEqual(['aes128-sha256-ecp256']);
    expect(only.esp.map(describeTransform)).toEqual(['aes128gcm16']);
    expect(only.pfsGroup).toBe('ecp256');
  });

  it("cannot carry legacy when IT's policy forbids it: enforced on load, refused on save", () => {
    const p = profile({
      algorithms: {
        legacy: true,
        phase1: ['3des-sha1-modp1024'],
        phase2: ['3des-sha1'],
        pfsGroup: 'modp1024',
      },
    });
    const lock = { ...NO_POLICY, forbidLegacy: true };
    expect(policyViolations(p, lock).map((v) => v.path)).toEqual([
      'algorithms.legacy',
      'algorithms.phase1.0',
      'algorithms.phase2.0',
      'algorithms.pfsGroup',
    ]);
    const enforced = enforcePolicy(p, lock);
    if (!enforced.ok) throw new Error('enforcePolicy failed');
    const policy = ipsecPolicy(enforced.profile);
    expect(policy.legacy).toBe(false);
    expect(policy.phase1.map(describeProposal)).toEqual([...DEFAULT_PHASE1]);
    expect(policy.pfsGroup).toBeNull();
  });
});

describe('legacy in use is a warning', () => {
  it('names what is legacy in IKE, ESP and PFS', () => {
    const ike = { encryption: '3des', hash: 'md5', group: 'modp1024', lifetimeSeconds: 3600 } as const;
    expect(legacyWarnings(ike, { cipher: '3des-cbc', integrity: 'hmac-sha1-96' }, 'modp1024')).toEqual([
      "IKE uses legacy 3DES, MD5, MODP-1024 (3des-md5-modp1024): ask the server's administrator to upgrade",
      "ESP uses legacy 3DES (3des-sha1): ask the server's administrator to upgrade",
      'PFS uses the legacy group modp1024',
    ]);
    expect(
      legacyWarnings(
        { ...ike, encryption: 'aes256', hash: 'sha256', group: 'modp2048' },
        { cipher: 'aes-gcm-16', keyBits: 256 },
        null,
      ),
    ).toEqual([]);
  });

  it("shows in the carrier's negotiated algorithms when a legacy-only server is reached with legacy on", async () => {
    w = world({
      responder: { accept: (t) => t.encryption === '3des' && t.group === 'modp1024' },
      qr: { accept: (t) => t.cipher === '3des-cbc' },
    });
    const c = await up(w, { profile: profile({ algorithms: { legacy: true } }) });
    open.push(c);
    const a = c.algorithms as IpsecAlgorithms;
    expect(a).toMatchObject({ ike: '3des-sha1-modp1024', esp: '3des-sha1', legacy: true });
    expect(a.warnings).toHaveLength(2);
    expect((c.stats() as { warnings: string[] }).warnings).toEqual(a.warnings);
    expect(
      w.ring.snapshot().filter((e) => e.level === 'warn' && e.msg === 'legacy algorithm in use'),
    ).toHaveLength(2);
  });

  it('the same server without legacy fails phase 1 with the hint to enable legacy compatibility', async () => {
    w = world({ responder: { accept: (t) => t.encryption === '3des' } });
    const x = w;
    const e = await x.clock.run(up(x)).catch((err: unknown) => err as FerryError);
    expect(e).toBeInstanceOf(FerryError);
    expect(e).toMatchObject({ phase: 'ike-phase1', code: 'no-proposal-chosen' });
    expect((e as FerryError).hint).toMatch(/enable legacy compatibility in the profile/);
  });
});

describe('the no-proposal hint fits the profile', () => {
  const err = (phase: 'ike-phase1' | 'quick-mode') =>
    new FerryError({
      phase,
      code: 'no-proposal-chosen',
      message: 'server rejected all proposals',
      hint: 'generic',
    });
  it('legacy off: enable legacy; legacy on: compare settings; only-these: widen the list', () => {
    expect(explainNoProposal(err('ike-phase1'), ipsecPolicy(profile()), false).hint).toMatch(
      /enable legacy compatibility/,
    );
    expect(
      explainNoProposal(err('quick-mode'), ipsecPolicy(profile({ algorithms: { legacy: true } })), false)
        .hint,
    ).toMatch(/not even the legacy ones — compare its phase 2 settings/);
    expect(explainNoProposal(err('ike-phase1'), ipsecPolicy(profile()), true).hint).toMatch(
      /send only these proposals/,
    );
    const other = new FerryError({ phase: 'ike-phase1', code: 'timeout', message: 'x', hint: 'y' });
    expect(explainNoProposal(other, ipsecPolicy(profile()), false)).toBe(other);
  });
});
