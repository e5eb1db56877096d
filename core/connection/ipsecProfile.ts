/** What a profile asks of IKE and ESP: its proposal strings (SPEC §2) mapped to the IKE and ESP vocabularies. */
import { type EspTransform, espTransformFromProposal } from '../esp/transforms';
import type { DhGroupName } from '../ike/crypto/dh';
import type { Phase1Proposal } from '../ike/proposals';
import { parsePhase1, parsePhase2 } from '../profile/algorithms';
import { effectiveProposals, type Profile } from '../profile/schema';

export interface IpsecPolicy {
  readonly phase1: readonly Phase1Proposal[];
  readonly esp: readonly EspTransform[];
  readonly pfsGroup: DhGroupName | null;
  readonly phase2LifetimeSeconds: number;
  readonly legacy: boolean;
}

/** Throws only for strings the profile schema would have refused (a programming error, not user input). */
export function ipsecPolicy(profile: Profile): IpsecPolicy {
  const eff = effectiveProposals(profile);
  const a = profile.algorithms;
  const phase1 = eff.phase1.map((s): Phase1Proposal => {
    const p = parsePhase1(s);
    if (!p) throw new Error(`profile has an invalid phase-1 proposal: ${s}`);
    return { encryption: p.cipher, hash: p.prf, group: p.group, lifetimeSeconds: a.phase1LifetimeSeconds };
  });
  const esp = eff.phase2.map((s): EspTransform => {
    const p = parsePhase2(s);
    const t = p && espTransformFromProposal(p);
    if (!t) throw new Error(`profile has an invalid phase-2 proposal: ${s}`);
    return t;
  });
  return {
    phase1,
    esp,
    pfsGroup: eff.pfsGroup ?? null,
    phase2LifetimeSeconds: a.phase2LifetimeSeconds,
    legacy: a.legacy,
  };
}
