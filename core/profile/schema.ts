/**
 * The profile: everything needed to connect except secrets (SPEC §3). Secrets (PSK, password, private keys,
 * PKCS#12 passwords) live in the OS keychain, keyed by profile id; they are never part of a profile.
 * One schema shared by the CLI, the app and managed profiles.
 */
import { z } from 'zod';
import { err, ok, type Result } from '../common/result';
import {
  DEFAULT_PHASE1,
  DEFAULT_PHASE2,
  DH_GROUPS,
  type DhGroupName,
  isLegacyGroup,
  isLegacyPhase1,
  isLegacyPhase2,
  LEGACY_PHASE1,
  LEGACY_PHASE2,
  parsePhase1,
  parsePhase2,
} from './algorithms';

const hostname = z
  .string()
  .trim()
  .min(1, 'required')
  .max(253)
  .refine(
    (s) => z.ipv4().safeParse(s).success || z.hostname().safeParse(s).success,
    'not an IPv4 address or host name',
  );

const phase1String = z.string().refine((s) => parsePhase1(s) !== null, {
  message: 'not a phase-1 proposal like aes256-sha256-modp2048',
});
const phase2String = z.string().refine((s) => parsePhase2(s) !== null, {
  message: 'not a phase-2 proposal like aes256-sha256 or aes256gcm16',
});

export const remoteIdSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ipv4'), value: z.ipv4() }),
  z.object({ type: z.literal('fqdn'), value: z.string().min(1).max(253) }),
  z.object({ type: z.literal('user-fqdn'), value: z.string().min(3).max(253).includes('@') }),
  z.object({ type: z.literal('dn'), value: z.string().min(3).max(1024) }),
]);

export const machineAuthSchema = z.discriminatedUnion('method', [
  /** The PSK itself is in the keychain. */
  z.object({ method: z.literal('psk') }),
  z.object({
    method: z.literal('certificate'),
    /** SHA-256 fingerprint of the imported client certificate (its key is in the keychain). */
    clientCertificate: z.string().regex(/^[0-9a-f]{64}$/, 'expected a SHA-256 fingerprint (64 hex digits)'),
    /** PEM of the CA that must have issued the server's certificate. */
    caCertificatePem: z
      .string()
      .includes('-----BEGIN CERTIFICATE-----', { message: 'expected a PEM certificate' }),
  }),
]);

export const USER_AUTH_METHODS = ['mschapv2', 'eap', 'chap', 'pap'] as const;
export type UserAuthMethod = (typeof USER_AUTH_METHODS)[number];

export const userAuthSchema = z.object({
  username: z.string().min(1, 'required').max(256),
  /**
   * Methods allowed, most preferred first (SPEC §3: MS-CHAPv2 by default; PAP only when listed, and warned).
   * EAP is opt-in: SoftEther asks for EAP first but only implements EAP-TLS, and after our EAP-Nak it never
   * starts MS-CHAPv2 (Proto_PPP.c keeps AuthProtocol = EAP), so allowing EAP by default would hang there.
   */
  methods: z.array(z.enum(USER_AUTH_METHODS)).min(1).max(4).default(['mschapv2']),
});

export const mfaSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('none') }),
  /**
   * The code travels appended to the password (`<password><separator><code>`), which only PAP can carry: while
   * this mode is on, only PAP is offered. A separator with digits would make the split ambiguous.
   */
  z.object({
    mode: z.literal('otp-append'),
    separator: z
      .string()
      .max(4)
      .regex(/^[^\d\s]*$/, 'no digits or spaces (the server splits the code off after it)')
      .default(''),
  }),
  z.object({ mode: z.literal('otp-prompt') }),
  z.object({ mode: z.literal('push'), timeoutSeconds: z.number().int().min(10).max(300).default(60) }),
]);

export const routingSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('split'), subnets: z.array(z.cidrv4()).max(256).default([]) }),
  z.object({ mode: z.literal('full') }),
]);

export const dnsSchema = z.object({
  useServerDns: z.boolean().default(true),
  servers: z.array(z.ipv4()).max(8).default([]),
  searchDomains: z.array(z.string().min(1).max(253)).max(16).default([]),
});

export const algorithmsSchema = z.object({
  phase1: z.array(phase1String).min(1).max(32).optional(),
  phase2: z.array(phase2String).min(1).max(32).optional(),
  pfsGroup: z.enum(DH_GROUPS).optional(),
  /** Adds 3DES, MODP-1024 and MD5 (SPEC §2); off by default, warned in the UI and diagnostics. */
  legacy: z.boolean().default(false),
  /** Send only the listed proposals, for servers that choke on long lists. */
  onlyTheseProposals: z.boolean().default(false),
  phase1LifetimeSeconds: z
    .number()
    .int()
    .min(300)
    .max(86400)
    .default(8 * 3600),
  phase2LifetimeSeconds: z.number().int().min(120).max(86400).default(3600),
});

export const profileSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lowercase letters, digits, . _ - (max 64)'),
    name: z.string().trim().min(1, 'required').max(80),
    server: hostname,
    remoteId: remoteIdSchema.optional(),
    machineAuth: machineAuthSchema.default({ method: 'psk' }),
    userAuth: userAuthSchema,
    mfa: mfaSchema.default({ mode: 'none' }),
    routing: routingSchema.default({ mode: 'full' }),
    dns: dnsSchema.default({ useServerDns: true, servers: [], searchDomains: [] }),
    mtu: z.number().int().min(576).max(1500).default(1400),
    mru: z.number().int().min(576).max(1500).default(1400),
    lcpEcho: z
      .object({
        intervalSeconds: z.number().int().min(0).max(600).default(30),
        failures: z.number().int().min(1).max(20).default(4),
      })
      .default({ intervalSeconds: 30, failures: 4 }),
    algorithms: algorithmsSchema.default({
      legacy: false,
      onlyTheseProposals: false,
      phase1LifetimeSeconds: 8 * 3600,
      phase2LifetimeSeconds: 3600,
    }),
    killSwitch: z.boolean().default(false),
    autoConnect: z.boolean().default(false),
    autoReconnect: z.boolean().default(true),
  })
  .superRefine((p, ctx) => {
    const legacyMsg =
      'uses a legacy algorithm (3DES, MODP-1024 or MD5): enable legacy compatibility to allow it';
    if (!p.algorithms.legacy) {
      p.algorithms.phase1?.forEach((s, i) => {
        const parsed = parsePhase1(s);
        if (parsed && isLegacyPhase1(parsed))
          ctx.addIssue({ code: 'custom', path: ['algorithms', 'phase1', i], message: legacyMsg });
      });
      p.algorithms.phase2?.forEach((s, i) => {
        const parsed = parsePhase2(s);
        if (parsed && isLegacyPhase2(parsed))
          ctx.addIssue({ code: 'custom', path: ['algorithms', 'phase2', i], message: legacyMsg });
      });
      if (p.algorithms.pfsGroup && isLegacyGroup(p.algorithms.pfsGroup)) {
        ctx.addIssue({ code: 'custom', path: ['algorithms', 'pfsGroup'], message: legacyMsg });
      }
    }
    if (p.mfa.mode === 'otp-append' && !p.userAuth.methods.includes('pap')) {
      ctx.addIssue({
        code: 'custom',
        path: ['mfa', 'mode'],
        message:
          'a one-time code appended to the password needs PAP in the allowed methods: only PAP can carry it (the password then travels unhashed, protected by IPsec alone)',
      });
    }
    if (new Set(p.userAuth.methods).size !== p.userAuth.methods.length) {
      ctx.addIssue({ code: 'custom', path: ['userAuth', 'methods'], message: 'lists a method twice' });
    }
  });

export type Profile = z.infer<typeof profileSchema>;
export type ProfileInput = z.input<typeof profileSchema>;

export interface FieldError {
  /** Dotted path of the offending field, e.g. `routing.subnets.2`; empty for the whole document. */
  readonly path: string;
  readonly message: string;
}

/** The on-disk `.ferry.json` envelope (secrets excluded by construction). */
export const profileFileSchema = z.object({
  format: z.literal('ferry-profile'),
  version: z.literal(1),
  profile: z.unknown(),
});

function issuesToFieldErrors(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[] = [],
): FieldError[] {
  return issues.map((i) => ({ path: [...prefix, ...i.path].map(String).join('.'), message: i.message }));
}

/** Validates untrusted profile data; never throws. */
export function parseProfile(data: unknown): Result<Profile, FieldError[]> {
  const r = profileSchema.safeParse(data);
  return r.success ? ok(r.data) : err(issuesToFieldErrors(r.error.issues));
}

/** Parses the text of a `.ferry.json` file; never throws. */
export function parseProfileFile(text: string): Result<Profile, FieldError[]> {
  if (text.length > 1024 * 1024) return err([{ path: '', message: 'file larger than 1 MiB' }]);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return err([{ path: '', message: `not valid JSON: ${e instanceof Error ? e.message : String(e)}` }]);
  }
  const env = profileFileSchema.safeParse(json);
  if (!env.success) return err(issuesToFieldErrors(env.error.issues));
  const r = profileSchema.safeParse(env.data.profile);
  return r.success ? ok(r.data) : err(issuesToFieldErrors(r.error.issues, ['profile']));
}

export function serializeProfileFile(p: Profile): string {
  return `${JSON.stringify({ format: 'ferry-profile', version: 1, profile: p }, null, 2)}\n`;
}

/** The proposal lists a connect actually offers, after defaults, legacy and "only these" are applied. */
export function effectiveProposals(p: Profile): {
  phase1: string[];
  phase2: string[];
  pfsGroup?: DhGroupName;
} {
  const a = p.algorithms;
  const pick = (
    custom: readonly string[] | undefined,
    defaults: readonly string[],
    legacy: readonly string[],
  ) => {
    if (custom && a.onlyTheseProposals) return [...custom];
    const base = custom ? [...custom, ...defaults.filter((d) => !custom.includes(d))] : [...defaults];
    return a.legacy ? [...base, ...legacy.filter((l) => !base.includes(l))] : base;
  };
  return {
    phase1: pick(a.phase1, DEFAULT_PHASE1, LEGACY_PHASE1),
    phase2: pick(a.phase2, DEFAULT_PHASE2, LEGACY_PHASE2),
    ...(a.pfsGroup ? { pfsGroup: a.pfsGroup } : {}),
  };
}
