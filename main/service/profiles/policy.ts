/**
 * SPEC §3 managed policy: IT's `policy.json` (lock editing of managed profiles, force a full tunnel, forbid
 * legacy algorithms, forbid PAP). When profiles are loaded the policy is *applied* (the profile is changed to
 * comply, with a warning); when a profile is saved, violations are *refused* with field errors.
 */
import { z } from 'zod';
import type { Policy } from '../../../core/api/ipc';
import {
  isLegacyGroup,
  isLegacyPhase1,
  isLegacyPhase2,
  parsePhase1,
  parsePhase2,
} from '../../../core/profile/algorithms';
import { type FieldError, type Profile, parseProfile } from '../../../core/profile/schema';

export type { Policy };

export const NO_POLICY: Policy = {
  lockEditing: false,
  forceFullTunnel: false,
  forbidLegacy: false,
  forbidPap: false,
};

const POLICY_KEYS = Object.keys(NO_POLICY) as (keyof Policy)[];
const policyFileSchema = z.strictObject({
  lockEditing: z.boolean().optional(),
  forceFullTunnel: z.boolean().optional(),
  forbidLegacy: z.boolean().optional(),
  forbidPap: z.boolean().optional(),
});

/**
 * Parses the text of policy.json. Never throws. A rule that is present but not a boolean is reported and
 * *enforced* (fail closed: IT meant to set it); unknown keys are reported and ignored.
 */
export function parsePolicy(text: string): { policy: Policy; errors: FieldError[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return {
      policy: { lockEditing: true, forceFullTunnel: false, forbidLegacy: true, forbidPap: true },
      errors: [
        {
          path: '',
          message: `not valid JSON (${e instanceof Error ? e.message : String(e)}); editing locked, legacy and PAP forbidden until it is fixed`,
        },
      ],
    };
  }
  const r = policyFileSchema.safeParse(json);
  if (r.success) return { policy: { ...NO_POLICY, ...r.data }, errors: [] };
  const errors = r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
  const obj =
    json !== null && typeof json === 'object' && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : {};
  const policy = { ...NO_POLICY };
  for (const k of POLICY_KEYS) if (k in obj) policy[k] = obj[k] !== false;
  return { policy, errors };
}

const isLegacy1 = (s: string) => {
  const p = parsePhase1(s);
  return p !== null && isLegacyPhase1(p);
};
const isLegacy2 = (s: string) => {
  const p = parsePhase2(s);
  return p !== null && isLegacyPhase2(p);
};

/** What a profile does that the policy forbids, as field errors (used when saving). */
export function policyViolations(p: Profile, policy: Policy): FieldError[] {
  const out: FieldError[] = [];
  if (policy.forceFullTunnel && p.routing.mode !== 'full')
    out.push({ path: 'routing.mode', message: 'your organisation requires a full tunnel' });
  if (policy.forbidPap && p.userAuth.methods.includes('pap'))
    out.push({ path: 'userAuth.methods', message: 'PAP is not allowed by your organisation’s policy' });
  if (policy.forbidLegacy) {
    const a = p.algorithms;
    if (a.legacy)
      out.push({ path: 'algorithms.legacy', message: 'legacy algorithms are not allowed by policy' });
    a.phase1?.forEach((s, i) => {
      if (isLegacy1(s))
        out.push({ path: `algorithms.phase1.${i}`, message: 'legacy algorithm not allowed by policy' });
    });
    a.phase2?.forEach((s, i) => {
      if (isLegacy2(s))
        out.push({ path: `algorithms.phase2.${i}`, message: 'legacy algorithm not allowed by policy' });
    });
    if (a.pfsGroup && isLegacyGroup(a.pfsGroup))
      out.push({ path: 'algorithms.pfsGroup', message: 'legacy DH group not allowed by policy' });
  }
  return out;
}

export type Enforced =
  | { readonly ok: true; readonly profile: Profile; readonly warnings: string[] }
  | { readonly ok: false; readonly errors: FieldError[] };

/**
 * Makes a loaded profile comply: full tunnel forced, legacy algorithms removed, PAP removed. The result is
 * validated again with the schema; a profile that cannot comply (PAP was its only method, an OTP appended to
 * the password needs PAP) comes back as field errors.
 */
export function enforcePolicy(p: Profile, policy: Policy): Enforced {
  const warnings: string[] = [];
  const next = structuredClone(p) as { -readonly [K in keyof Profile]: Profile[K] };
  if (policy.forceFullTunnel && next.routing.mode !== 'full') {
    next.routing = { mode: 'full' };
    warnings.push('Full tunnel forced by your organisation’s policy (the split-tunnel subnets are ignored).');
  }
  const errors: FieldError[] = [];
  if (policy.forbidPap && next.userAuth.methods.includes('pap')) {
    const methods = next.userAuth.methods.filter((m) => m !== 'pap');
    if (!methods.length)
      errors.push({
        path: 'userAuth.methods',
        message: 'PAP is the only method and your organisation’s policy forbids it',
      });
    else if (next.mfa.mode === 'otp-append')
      errors.push({
        path: 'mfa.mode',
        message: 'an OTP appended to the password needs PAP, which your organisation’s policy forbids',
      });
    else {
      next.userAuth = { ...next.userAuth, methods };
      warnings.push('PAP removed from the authentication methods by your organisation’s policy.');
    }
  }
  if (policy.forbidLegacy) {
    const a = { ...next.algorithms };
    const before = JSON.stringify(a);
    a.legacy = false;
    if (a.phase1) {
      const kept = a.phase1.filter((s) => !isLegacy1(s));
      if (kept.length) a.phase1 = kept;
      else delete a.phase1;
    }
    if (a.phase2) {
      const kept = a.phase2.filter((s) => !isLegacy2(s));
      if (kept.length) a.phase2 = kept;
      else delete a.phase2;
    }
    if (a.pfsGroup && isLegacyGroup(a.pfsGroup)) delete a.pfsGroup;
    if (JSON.stringify(a) !== before) {
      next.algorithms = a;
      warnings.push('Legacy algorithms removed by your organisation’s policy.');
    }
  }
  if (errors.length) return { ok: false, errors };
  const r = parseProfile(next);
  return r.ok ? { ok: true, profile: r.value, warnings } : { ok: false, errors: r.error };
}

/** Warnings every profile view carries regardless of policy (SPEC §2, §3: PAP and legacy are warned). */
export function profileWarnings(p: Profile): string[] {
  const w: string[] = [];
  if (p.userAuth.methods.includes('pap')) w.push('PAP is allowed: the password is sent without hashing.');
  if (p.algorithms.legacy) w.push('Legacy algorithms (3DES, MODP-1024, MD5) are enabled.');
  return w;
}
