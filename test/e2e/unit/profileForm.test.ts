import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ProfileInput, parseProfile } from '../../../core/profile/schema';
import { fieldForPath, mapFieldErrors, validateForm } from '../../../renderer/logic/formErrors';
import {
  blankForm,
  type FormField,
  formFromProfile,
  formWarnings,
  type ProfileForm,
  profileFromForm,
  suggestId,
  toggleMethod,
} from '../../../renderer/logic/profileForm';
import { DEFAULT_METHODS, MANAGED, OFFICE, OTP, PUSH } from '../support/fixtures';

const FULL: ProfileInput = {
  id: 'full',
  name: 'Everything',
  server: '198.51.100.7',
  remoteId: { type: 'fqdn', value: 'vpn.example.com' },
  machineAuth: {
    method: 'certificate',
    clientCertificate: 'ab'.repeat(32),
    caCertificatePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
  },
  userAuth: { username: 'zoe', methods: ['pap', 'mschapv2'] },
  mfa: { mode: 'otp-append', separator: ',' },
  routing: { mode: 'split', subnets: ['10.0.0.0/8', '172.16.0.0/12'] },
  dns: {
    useServerDns: false,
    servers: ['10.0.0.53', '10.0.0.54'],
    searchDomains: ['corp.example', 'lab.example'],
  },
  mtu: 1380,
  mru: 1360,
  lcpEcho: { intervalSeconds: 0, failures: 7 },
  algorithms: {
    phase1: ['aes128-sha1-modp1024'],
    phase2: ['3des-sha1'],
    pfsGroup: 'modp2048',
    legacy: true,
    onlyTheseProposals: true,
    phase1LifetimeSeconds: 3600,
    phase2LifetimeSeconds: 1200,
  },
  killSwitch: true,
  autoConnect: true,
  autoReconnect: false,
};

const parsed = (p: ProfileInput) => {
  const r = parseProfile(p);
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
};

const form = (patch: Partial<ProfileForm>): ProfileForm => ({ ...formFromProfile(parsed(OFFICE)), ...patch });

describe('profile form', () => {
  it('round-trips every profile shape through the form unchanged', () => {
    for (const p of [OFFICE, OTP, PUSH, MANAGED, FULL]) {
      const profile = parsed(p);
      const again = parseProfile(profileFromForm(formFromProfile(profile)));
      expect(again).toEqual({ ok: true, value: profile });
    }
  });

  it("starts a new profile from the schema's defaults with the identity left blank", () => {
    const f = blankForm();
    expect(f).toMatchObject({
      id: '',
      name: '',
      server: '',
      username: '',
      machineAuth: 'psk',
      methods: DEFAULT_METHODS,
      mfaMode: 'none',
      routingMode: 'full',
      useServerDns: true,
      mtu: '1400',
      mru: '1400',
      lcpEchoInterval: '30',
      lcpEchoFailures: '4',
      phase1Lifetime: '28800',
      phase2Lifetime: '3600',
      legacy: false,
      autoReconnect: true,
    });
    expect(validateForm(f).fields).toEqual({
      id: 'lowercase letters, digits, . _ - (max 64)',
      name: 'required',
      server: 'required',
      username: 'required',
    });
  });

  it('validates inline with short, specific messages per input and per list line', () => {
    const e = validateForm(
      form({
        mtu: 'abc',
        mru: '9000',
        lcpEchoFailures: '0',
        subnets: '10.0.0.0/8\n\n10.1.0.300/16',
        routingMode: 'split',
        dnsServers: '10.0.0.1, 8.8.8',
        remoteIdType: 'ipv4',
        remoteIdValue: 'vpn.example.com',
        mfaMode: 'push',
        pushTimeoutSeconds: '5',
        methods: [],
      }),
    );
    expect(e.fields).toEqual({
      mtu: 'enter a whole number',
      mru: 'must be at most 1500',
      lcpEchoFailures: 'must be at least 1',
      subnets: 'Line 2 (10.1.0.300/16): not a subnet like 10.0.0.0/8',
      dnsServers: 'Line 2 (8.8.8): not an IPv4 address',
      remoteIdValue: 'not an IPv4 address',
      pushTimeoutSeconds: 'must be at least 10',
      methods: 'choose at least one',
    });
    expect(e.general).toEqual([]);
    expect(validateForm(form({ mtu: '1400.5' })).fields.mtu).toBe('enter a whole number');
    expect(validateForm(form({ mfaMode: 'otp-append' })).fields.mfaMode).toContain('needs PAP');
    expect(validateForm(form({ methods: ['pap', 'pap'] })).fields.methods).toBe('lists a method twice');
    expect(validateForm(form({ phase1: 'aes256-sha256-modp2048\n3des-md5-modp1024' })).fields.phase1).toMatch(
      /^Line 2 \(3des-md5-modp1024\): uses a legacy algorithm/,
    );
    expect(validateForm(form({ phase1: '3des-md5-modp1024', legacy: true })).fields).toEqual({});
  });

  it("maps the host's dotted paths onto inputs (list lines, the file envelope, unknown paths)", () => {
    const f = form({ subnets: '10.0.0.0/8\n10.9.0.0/16', routingMode: 'split' });
    const e = mapFieldErrors(
      [
        { path: 'routing.subnets.1', message: 'overlaps the local network' },
        { path: 'profile.server', message: 'does not resolve' },
        { path: 'server', message: 'second message for the same input' },
        { path: 'userAuth.methods', message: 'PAP is not allowed' },
        { path: 'extensions.x', message: 'unknown key' },
        { path: '', message: 'not a Ferry profile' },
      ],
      f,
    );
    expect(e.fields).toEqual({
      subnets: 'Line 2 (10.9.0.0/16): overlaps the local network',
      server: 'does not resolve',
      methods: 'PAP is not allowed',
    });
    expect(e.general).toEqual(['extensions.x: unknown key', 'not a Ferry profile']);
    const cases: [string, FormField, number?][] = [
      ['remoteId', 'remoteIdValue'],
      ['remoteId.value', 'remoteIdValue'],
      ['machineAuth.clientCertificate', 'clientCertificate'],
      ['mfa.timeoutSeconds', 'pushTimeoutSeconds'],
      ['lcpEcho.intervalSeconds', 'lcpEchoInterval'],
      ['algorithms.phase1LifetimeSeconds', 'phase1Lifetime'],
      ['algorithms.phase1.3', 'phase1', 3],
      ['dns.searchDomains.0', 'searchDomains', 0],
      ['routing', 'routingMode'],
    ];
    for (const [path, field, line] of cases)
      expect(fieldForPath(path)).toEqual(line === undefined ? { field } : { field, line });
    expect(fieldForPath('mtux')).toBeNull();
  });

  it('never throws on anything typed into the form, and only names real inputs', () => {
    const keys = Object.keys(blankForm()) as FormField[];
    const text = fc.string({ maxLength: 40 });
    fc.assert(
      fc.property(
        fc.record({
          id: text,
          name: text,
          server: text,
          username: text,
          mtu: text,
          subnets: text,
          phase1: text,
          dnsServers: text,
        }),
        fc.constantFrom('split', 'full'),
        fc.constantFrom('none', 'otp-append', 'otp-prompt', 'push'),
        (strings, routingMode, mfaMode) => {
          const e = validateForm({ ...blankForm(), ...strings, routingMode, mfaMode } as ProfileForm);
          for (const k of Object.keys(e.fields)) expect(keys).toContain(k);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('suggests an ID from the name that the schema accepts', () => {
    expect(suggestId('Office Berlin')).toBe('office-berlin');
    expect(suggestId('Zürich HQ!')).toBe('zurich-hq');
    expect(suggestId('  --Lab_2.0  ')).toBe('lab_2.0');
    expect(suggestId('日本')).toBe('');
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (name) => {
        const id = suggestId(name);
        if (id !== '') expect(id).toMatch(/^[a-z0-9][a-z0-9._-]{0,63}$/);
      }),
    );
  });

  it('keeps the preference order of methods while toggling, and warns about PAP and legacy', () => {
    expect(toggleMethod(['pap', 'mschapv2'], 'chap', true)).toEqual(['pap', 'mschapv2', 'chap']);
    expect(toggleMethod(['pap', 'mschapv2'], 'pap', false)).toEqual(['mschapv2']);
    expect(toggleMethod(['eap'], 'eap', true)).toEqual(['eap']);
    expect(formWarnings(form({}))).toEqual({});
    const w = formWarnings(form({ methods: ['pap'], legacy: true, onlyTheseProposals: true }));
    expect(Object.keys(w).sort()).toEqual(['legacy', 'methods', 'onlyTheseProposals']);
  });
});
