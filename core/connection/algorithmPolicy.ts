/**
 * SPEC §2 algorithm policy at connect time: which negotiated algorithms are legacy (3DES, MD5/HMAC-MD5,
 * MODP-768/1024) and the warnings that go into the negotiated algorithms and the diagnostics; and hints for a
 * NO_PROPOSAL_CHOSEN that fit the profile (enable legacy, drop "send only these proposals", compare settings).
 */
import { FerryError } from '../common/errors';
import { describeTransform, type EspTransform } from '../esp/transforms';
import type { DhGroupName } from '../ike/crypto/dh';
import { describeProposal, isLegacyProposal, LEGACY_GROUPS, type Phase1Proposal } from '../ike/proposals';
import type { IpsecPolicy } from './ipsecProfile';

export function isLegacyTransform(t: EspTransform): boolean {
  return t.cipher === '3des-cbc' || (t.cipher !== 'aes-gcm-16' && t.integrity === 'hmac-md5-96');
}

export function isLegacyGroup(g: DhGroupName): boolean {
  return LEGACY_GROUPS.includes(g);
}

function legacyParts(p: Phase1Proposal): string[] {
  const parts: string[] = [];
  if (p.encryption === '3des') parts.push('3DES');
  if (p.hash === 'md5') parts.push('MD5');
  if (isLegacyGroup(p.group)) parts.push(p.group.toUpperCase().replace('MODP', 'MODP-'));
  return parts;
}

/** Warnings about legacy algorithms the server actually chose (SPEC §2: reported when used). */
export function legacyWarnings(
  ike: Phase1Proposal | null,
  esp: EspTransform | null,
  pfs: DhGroupName | null,
): string[] {
  const w: string[] = [];
  if (ike && isLegacyProposal(ike))
    w.push(
      `IKE uses legacy ${legacyParts(ike).join(', ')} (${describeProposal(ike)}): ask the server's administrator to upgrade`,
    );
  if (esp && isLegacyTransform(esp))
    w.push(
      `ESP uses legacy ${esp.cipher === '3des-cbc' ? '3DES' : 'HMAC-MD5'} (${describeTransform(esp)}): ask the server's administrator to upgrade`,
    );
  if (pfs && isLegacyGroup(pfs)) w.push(`PFS uses the legacy group ${pfs}`);
  return w;
}

type Stage = 'phase 1' | 'phase 2';

function noProposalHint(stage: Stage, policy: IpsecPolicy, onlyThese: boolean): string {
  if (onlyThese)
    return `the server accepts none of the ${stage} proposals the profile sends — switch off "send only these proposals" or add the server's algorithms`;
  if (!policy.legacy)
    return `the server accepts none of Ferry's ${stage} algorithms — if it needs 3DES, MD5 or MODP-1024, enable legacy compatibility in the profile (ask IT to upgrade the server)`;
  return `the server accepts none of our ${stage} algorithms, not even the legacy ones — compare its ${stage} settings with the profile's algorithms`;
}

/** A no-proposal-chosen error with the hint that fits this profile; other errors unchanged. */
export function explainNoProposal(e: FerryError, policy: IpsecPolicy, onlyThese: boolean): FerryError {
  if (e.code !== 'no-proposal-chosen' || (e.phase !== 'ike-phase1' && e.phase !== 'quick-mode')) return e;
  // Our own proposal list was refused before anything was sent: that is not the server's answer.
  if (/^invalid phase-1 proposals/.test(e.message)) return e;
  // A server set up for certificates refusing our PSK offer (or the reverse) says the same; keep that hint.
  if (/certificate/.test(e.hint)) return e;
  return new FerryError({
    phase: e.phase,
    code: e.code,
    message: e.message,
    hint: noProposalHint(e.phase === 'ike-phase1' ? 'phase 1' : 'phase 2', policy, onlyThese),
    cause: e.cause,
  });
}
