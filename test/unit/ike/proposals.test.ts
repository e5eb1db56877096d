import { describe, expect, it } from 'vitest';
import { IkeAttr } from '../../../core/ike/constants';
import { attributeNumber, basicAttribute } from '../../../core/ike/payloads/attributes';
import type { SaPayload, Transform } from '../../../core/ike/payloads/sa';
import {
  DEFAULT_PHASE1_PROPOSALS,
  defaultPhase1Proposals,
  describeProposal,
  isLegacyProposal,
  matchChosenPhase1,
  parsePhase1Transform,
  phase1SaPayload,
  validatePhase1Proposals,
} from '../../../core/ike/proposals';

describe('phase-1 proposals (SPEC §2)', () => {
  it('defaults to the six SPEC combinations in order, 8 h lifetime, no legacy', () => {
    expect(DEFAULT_PHASE1_PROPOSALS.map(describeProposal)).toEqual([
      'aes256-sha256-modp2048',
      'aes128-sha256-modp2048',
      'aes256-sha1-modp2048',
      'aes128-sha1-modp2048',
      'aes256-sha256-ecp256',
      'aes256-sha384-ecp384',
    ]);
    expect(DEFAULT_PHASE1_PROPOSALS.every((p) => p.lifetimeSeconds === 28800 && !isLegacyProposal(p))).toBe(
      true,
    );
    expect(validatePhase1Proposals(DEFAULT_PHASE1_PROPOSALS)).toBeNull();
  });

  it('adds legacy combinations only on request, and validation demands the legacy switch for them', () => {
    const legacy = defaultPhase1Proposals({ legacy: true });
    expect(legacy.slice(0, 6)).toEqual(DEFAULT_PHASE1_PROPOSALS);
    expect(legacy.slice(6).every(isLegacyProposal)).toBe(true);
    expect(legacy.map(describeProposal)).toContain('3des-md5-modp1024');
    expect(validatePhase1Proposals(legacy)).toMatch(/legacy/);
    expect(validatePhase1Proposals(legacy, { legacy: true })).toBeNull();
    expect(validatePhase1Proposals([])).toMatch(/no phase-1/);
    expect(validatePhase1Proposals([{ ...DEFAULT_PHASE1_PROPOSALS[0]!, lifetimeSeconds: 5 }])).toMatch(
      /lifetime/,
    );
  });

  it('always sends Key-Length for AES, never for 3DES, and one transform per combination', () => {
    const sa = phase1SaPayload(defaultPhase1Proposals({ legacy: true }));
    expect(sa.proposals).toHaveLength(1);
    const ts = sa.proposals[0]!.transforms;
    expect(ts.map((t) => t.number)).toEqual(ts.map((_, i) => i + 1));
    for (const t of ts) {
      const parsed = parsePhase1Transform(t);
      if (typeof parsed === 'string') throw new Error(parsed);
      const hasKeyLength = t.attributes.some((a) => a.type === IkeAttr.KEY_LENGTH);
      expect(hasKeyLength).toBe(parsed.encryption !== '3des');
      expect(attributeNumber(t.attributes.find((a) => a.type === IkeAttr.LIFE_DURATION)!)).toBe(28800);
    }
  });

  function reply(transformIndex: number, mutate?: (sa: SaPayload) => SaPayload): SaPayload {
    const offer = phase1SaPayload(DEFAULT_PHASE1_PROPOSALS);
    const sa: SaPayload = {
      ...offer,
      proposals: [{ ...offer.proposals[0]!, transforms: [offer.proposals[0]!.transforms[transformIndex]!] }],
    };
    return mutate ? mutate(sa) : sa;
  }

  it('matches the responder choice by attributes, not by transform number', () => {
    const r = matchChosenPhase1(
      DEFAULT_PHASE1_PROPOSALS,
      reply(4, (sa) => ({
        ...sa,
        proposals: [{ ...sa.proposals[0]!, transforms: [{ ...sa.proposals[0]!.transforms[0]!, number: 9 }] }],
      })),
    );
    expect(typeof r !== 'string' && describeProposal(r.proposal)).toBe('aes256-sha256-ecp256');
  });

  it('takes a shorter responder lifetime, never a longer one', () => {
    const withLife = (v: number) =>
      reply(0, (sa) => ({
        ...sa,
        proposals: [
          {
            ...sa.proposals[0]!,
            transforms: [
              {
                ...sa.proposals[0]!.transforms[0]!,
                attributes: sa.proposals[0]!.transforms[0]!.attributes.map((a) =>
                  a.type === IkeAttr.LIFE_DURATION
                    ? { type: a.type, format: 'tlv' as const, value: Uint8Array.of(0, 0, v >> 8, v & 0xff) }
                    : a,
                ),
              },
            ],
          },
        ],
      }));
    const short = matchChosenPhase1(DEFAULT_PHASE1_PROPOSALS, withLife(3600));
    expect(typeof short !== 'string' && short.lifetimeSeconds).toBe(3600);
    const long = matchChosenPhase1(DEFAULT_PHASE1_PROPOSALS, withLife(60000));
    expect(typeof long !== 'string' && long.lifetimeSeconds).toBe(28800);
  });

  const withTransform = (sa: SaPayload, f: (t: Transform) => Transform): SaPayload => ({
    ...sa,
    proposals: [{ ...sa.proposals[0]!, transforms: [f(sa.proposals[0]!.transforms[0]!)] }],
  });
  const setAttr = (type: number, value: number) => (sa: SaPayload) =>
    withTransform(sa, (t) => ({
      ...t,
      attributes: t.attributes.map((a) => (a.type === type ? basicAttribute(type, value) : a)),
    }));

  it.each<[string, (sa: SaPayload) => SaPayload]>([
    [
      'two transforms',
      (sa) => ({
        ...sa,
        proposals: [
          {
            ...sa.proposals[0]!,
            transforms: [sa.proposals[0]!.transforms[0]!, sa.proposals[0]!.transforms[0]!],
          },
        ],
      }),
    ],
    [
      'an extra PRF attribute',
      (sa) =>
        withTransform(sa, (t) => ({ ...t, attributes: [...t.attributes, basicAttribute(IkeAttr.PRF, 1)] })),
    ],
    ['a different key length', setAttr(IkeAttr.KEY_LENGTH, 192)],
    ['RSA signature auth', setAttr(IkeAttr.AUTH_METHOD, 3)],
    ['a non-ISAKMP protocol', (sa) => ({ ...sa, proposals: [{ ...sa.proposals[0]!, protocol: 3 }] })],
    ['no proposal', (sa) => ({ ...sa, proposals: [] })],
  ])('rejects a reply with %s', (_n, mutate) => {
    expect(typeof matchChosenPhase1(DEFAULT_PHASE1_PROPOSALS, reply(0, mutate))).toBe('string');
  });
});
