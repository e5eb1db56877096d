import { describe, expect, it } from 'vitest';
import { parsePhase1, parsePhase2 } from '../../../core/profile/algorithms';
import {
  effectiveProposals,
  parseProfile,
  parseProfileFile,
  serializeProfileFile,
} from '../../../core/profile/schema';
import { fuzzDecoder } from '../../support/fuzz';

const minimal = { id: 'office', name: 'Office', server: 'vpn.example.com', userAuth: { username: 'alice' } };

describe('profile schema', () => {
  it('fills SPEC defaults into a minimal profile', () => {
    const r = parseProfile(minimal);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      machineAuth: { method: 'psk' },
      userAuth: { methods: ['mschapv2'] },
      mfa: { mode: 'none' },
      routing: { mode: 'full' },
      mtu: 1400,
      mru: 1400,
      lcpEcho: { intervalSeconds: 30, failures: 4 },
      algorithms: { legacy: false, phase1LifetimeSeconds: 28800, phase2LifetimeSeconds: 3600 },
      autoReconnect: true,
    });
    expect(effectiveProposals(r.value).phase1[0]).toBe('aes256-sha256-modp2048');
    expect(effectiveProposals(r.value).phase2[0]).toBe('aes256gcm16');
  });

  it('reports field-level errors with paths', () => {
    const r = parseProfile({
      ...minimal,
      server: 'not a host!',
      mtu: 90000,
      routing: { mode: 'split', subnets: ['10.0.0.0/8', '300.1.1.1/8'] },
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const paths = r.error.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['server', 'mtu', 'routing.subnets.1']));
  });

  it('refuses legacy proposals unless legacy compatibility is on', () => {
    const legacy = { ...minimal, algorithms: { phase1: ['3des-sha1-modp1024'] } };
    const r = parseProfile(legacy);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.error[0]).toMatchObject({
        path: 'algorithms.phase1.0',
        message: expect.stringContaining('legacy'),
      });
    const r2 = parseProfile({ ...legacy, algorithms: { ...legacy.algorithms, legacy: true } });
    expect(r2.ok).toBe(true);
    if (r2.ok) expect(effectiveProposals(r2.value).phase1).toContain('3des-md5-modp1024');
  });

  it('sends only the listed proposals when asked', () => {
    const r = parseProfile({
      ...minimal,
      algorithms: { phase1: ['aes128-sha1-modp2048'], onlyTheseProposals: true },
    });
    expect(r.ok && effectiveProposals(r.value).phase1).toEqual(['aes128-sha1-modp2048']);
  });

  it('requires PAP for an OTP appended to the password', () => {
    const r = parseProfile({ ...minimal, mfa: { mode: 'otp-append', separator: ',' } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error[0]!.path).toBe('mfa.mode');
  });

  it('round-trips a .ferry.json file and reports envelope errors', () => {
    const r = parseProfile(minimal);
    if (!r.ok) throw new Error('fixture invalid');
    const again = parseProfileFile(serializeProfileFile(r.value));
    expect(again).toEqual({ ok: true, value: r.value });
    expect(parseProfileFile('{')).toMatchObject({
      ok: false,
      error: [{ path: '', message: expect.stringContaining('JSON') }],
    });
    expect(
      parseProfileFile(JSON.stringify({ format: 'ferry-profile', version: 1, profile: { id: 'X' } })),
    ).toMatchObject({
      ok: false,
      error: expect.arrayContaining([expect.objectContaining({ path: 'profile.id' })]),
    });
  });

  it('parses proposal strings', () => {
    expect(parsePhase1('AES256-SHA256-MODP2048')).toEqual({
      cipher: 'aes256',
      prf: 'sha256',
      group: 'modp2048',
    });
    expect(parsePhase1('aes256-sha256')).toBeNull();
    expect(parsePhase2('aes128gcm16')).toEqual({ cipher: 'aes128gcm16' });
    expect(parsePhase2('aes128gcm16-sha1')).toBeNull();
    expect(parsePhase2('aes256-sha1')).toEqual({ cipher: 'aes256', integrity: 'sha1' });
  });

  it('never throws on hostile profile files', () => {
    const r = parseProfile(minimal);
    if (!r.ok) throw new Error('fixture invalid');
    const seed = new TextEncoder().encode(serializeProfileFile(r.value));
    const dec = new TextDecoder();
    const stats = fuzzDecoder(
      'profile file',
      (b) => {
        const res = parseProfileFile(dec.decode(b));
        return res.ok ? res : { ok: false, error: { code: 'invalid', message: res.error[0]?.message ?? '' } };
      },
      [seed],
      { iterations: 20_000 },
    );
    expect(stats.errors.invalid).toBeGreaterThan(0);
  });
});
