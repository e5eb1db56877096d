/**
 * SPEC §3 MFA in profiles and policy: an appended code needs PAP (the message says why), a separator may not
 * contain digits or spaces (the server splits the code off after it), push needs nothing extra; a policy that
 * forbids PAP refuses an appended-code profile with a field error, on load and on save.
 */
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../core/profile/schema';
import { enforcePolicy, NO_POLICY, policyViolations } from '../../../main/service/profiles/policy';

const base = { id: 'corp', name: 'Corp', server: '192.0.2.1' };
const appended = (separator: string, methods = ['pap']) =>
  parseProfile({ ...base, userAuth: { username: 'alice', methods }, mfa: { mode: 'otp-append', separator } });

describe('MFA profile fields', () => {
  it('an appended code needs PAP among the methods, and the error says what that costs', () => {
    const r = appended(',', ['mschapv2']);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toEqual([
      { path: 'mfa.mode', message: expect.stringMatching(/needs PAP .* only PAP can carry it .* unhashed/) },
    ]);
    expect(appended(',', ['mschapv2', 'pap']).ok).toBe(true);
  });

  it('a separator is up to 4 characters without digits or spaces; empty is fine', () => {
    for (const ok of ['', ',', '|', '::', '#!']) expect(appended(ok).ok, ok).toBe(true);
    for (const bad of ['1', 'a1', ' ', ', ', '12345']) {
      const r = appended(bad);
      expect(r.ok ? null : r.error[0]?.path, bad).toBe('mfa.separator');
    }
  });

  it('push needs no PAP; its approval wait is 10..300 s (default 60)', () => {
    const r = parseProfile({ ...base, userAuth: { username: 'alice' }, mfa: { mode: 'push' } });
    expect(r.ok && r.value.mfa).toEqual({ mode: 'push', timeoutSeconds: 60 });
    for (const t of [5, 301])
      expect(
        parseProfile({ ...base, userAuth: { username: 'alice' }, mfa: { mode: 'push', timeoutSeconds: t } })
          .ok,
      ).toBe(false);
  });
});

describe('policy: PAP forbidden', () => {
  const policy = { ...NO_POLICY, forbidPap: true };

  it('refuses an appended-code profile (on load: not silently stripped of PAP; on save: field error)', () => {
    const r = appended(',', ['mschapv2', 'pap']);
    if (!r.ok) throw new Error('fixture');
    const enforced = enforcePolicy(r.value, policy);
    expect(enforced).toEqual({
      ok: false,
      errors: [{ path: 'mfa.mode', message: expect.stringMatching(/appended .* needs PAP.*forbids/) }],
    });
    expect(policyViolations(r.value, policy)).toEqual([
      { path: 'userAuth.methods', message: expect.stringContaining('PAP is not allowed') },
    ]);
  });

  it('a push profile with PAP among its methods just loses PAP, with a warning', () => {
    const r = parseProfile({
      ...base,
      userAuth: { username: 'alice', methods: ['mschapv2', 'pap'] },
      mfa: { mode: 'push', timeoutSeconds: 90 },
    });
    if (!r.ok) throw new Error('fixture');
    const enforced = enforcePolicy(r.value, policy);
    expect(enforced.ok && enforced.profile.userAuth.methods).toEqual(['mschapv2']);
    expect(enforced.ok && enforced.profile.mfa).toEqual({ mode: 'push', timeoutSeconds: 90 });
  });
});
