/**
 * The strongSwan lab server's configuration: one typed object, validated before anything reaches the VM.
 * Values come from tests but are treated as untrusted: every field has a strict pattern or range, so nothing
 * can break out of the config-file syntax it is written into (see render.ts).
 */
import { z } from 'zod';
import type { LabUser } from '../types';

export type PppAuth = 'mschap-v2' | 'chap-md5' | 'pap' | 'eap';
export type DpdAction = 'clear' | 'hold' | 'restart' | 'none';
export type UniqueIds = 'no' | 'yes' | 'never' | 'replace' | 'keep';

/** The server's certificate material for `auth: 'pubkey'` (made by the test, e.g. with testPki.ts). */
export interface LabCredentials {
  /** CAs the server trusts for client certificates (/etc/ipsec.d/cacerts). */
  readonly caPems: readonly string[];
  /** The server's certificate (leftcert) and its private key (PEM, PKCS#8 or traditional). */
  readonly certPem: string;
  readonly keyPem: string;
  readonly keyType: 'rsa' | 'ecdsa';
}

export interface StrongSwanConfig {
  /** IKEv1 pre-shared key (`%any %any : PSK`), written hex-encoded so any characters are safe. */
  readonly psk: string;
  /** Phase-1 authentication: `secret` (the PSK) or `pubkey` (RSA/ECDSA signatures with `credentials`). */
  readonly auth: 'psk' | 'pubkey';
  readonly credentials: LabCredentials | null;
  /** `leftid`: the identity the server claims (default: its certificate's subject DN, or its address). */
  readonly leftId: string | null;
  /** PPP users (chap-secrets and pap-secrets). */
  readonly users: readonly LabUser[];
  /** `ike=` proposal list; a trailing `!` makes it strict (anything else gets NO_PROPOSAL_CHOSEN). */
  readonly ike: string;
  /** `esp=` proposal list (add a DH group, e.g. `aes256-sha256-modp2048`, to require PFS). */
  readonly esp: string;
  /** `forceencaps`: fake NAT-D so ESP goes in UDP 4500 even without a NAT. */
  readonly forceEncaps: boolean;
  /** The only PPP authentication protocol the server's pppd requests. */
  readonly pppAuth: PppAuth;
  /** pppd negotiates IPV6CP (`+ipv6`) or not (`noipv6`). */
  readonly ipv6cp: boolean;
  /** Whether the server itself rekeys (`rekey=`). Off by default so only the client drives rekeying. */
  readonly rekey: boolean;
  /** `ikelifetime` in seconds. */
  readonly ikeLifetimeSec: number;
  /** `lifetime` (keylife) of the IPsec SA in seconds. */
  readonly keyLifeSec: number;
  /** `margintime` (rekeymargin) in seconds; must be below both lifetimes. */
  readonly marginTimeSec: number;
  /** `rekeyfuzz` in percent (0 makes rekey times exact). */
  readonly rekeyFuzzPercent: number;
  /** `dpddelay` in seconds (0 disables DPD). */
  readonly dpdDelaySec: number;
  readonly dpdTimeoutSec: number;
  readonly dpdAction: DpdAction;
  readonly uniqueIds: UniqueIds;
  /** charon `block_threshold`: half-open IKE_SAs per peer before new ones are dropped. */
  readonly blockThreshold: number;
  readonly mtu: number;
  readonly mru: number;
  readonly lcpEchoIntervalSec: number;
  readonly lcpEchoFailure: number;
  /** `ms-dns` addresses handed out through IPCP (RFC 1877), at most two. */
  readonly dns: readonly string[];
  /** charondebug level for ike/net/cfg/chd (knl and enc get at most 1); -1 silences charon. */
  readonly ikeLogLevel: number;
  /** xl2tpd avp/state/tunnel debug output. */
  readonly l2tpDebug: boolean;
  /** xl2tpd `force userspace = yes` (no kernel L2TP data path). */
  readonly xl2tpdUserspace: boolean;
}

export const DEFAULT_CONFIG: StrongSwanConfig = {
  psk: 'ferry-lab-psk',
  auth: 'psk',
  credentials: null,
  leftId: null,
  users: [{ username: 'alice', password: 's3cret' }],
  ike: 'aes256-sha256-modp2048,aes128-sha1-modp2048!',
  esp: 'aes256-sha256,aes128-sha1,aes256gcm16,aes128gcm16!',
  forceEncaps: true,
  pppAuth: 'mschap-v2',
  ipv6cp: true,
  rekey: false,
  ikeLifetimeSec: 8 * 3600,
  keyLifeSec: 3600,
  marginTimeSec: 540,
  rekeyFuzzPercent: 100,
  dpdDelaySec: 30,
  dpdTimeoutSec: 120,
  dpdAction: 'clear',
  uniqueIds: 'no',
  blockThreshold: 1000,
  mtu: 1400,
  mru: 1400,
  lcpEchoIntervalSec: 30,
  lcpEchoFailure: 4,
  dns: ['10.203.0.1'],
  ikeLogLevel: 2,
  l2tpDebug: true,
  xl2tpdUserspace: false,
};

const PROPOSAL = /^[a-z0-9]+(?:-[a-z0-9]+)*(?:,[a-z0-9]+(?:-[a-z0-9]+)*)*!?$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const int = (min: number, max: number) => z.number().int().min(min).max(max);
const PEM =
  /^(-----BEGIN [A-Z0-9 ]{1,40}-----\r?\n[A-Za-z0-9+/=:,\- \r\n]{1,16000}-----END [A-Z0-9 ]{1,40}-----\r?\n?)+$/;
const pem = z.string().max(32_000).regex(PEM, 'PEM blocks');

const userSchema = z.object({
  // pppd secrets: printable ASCII; "*" alone would be pppd's wildcard client.
  username: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
    .refine((u) => u !== '*', 'must not be the pppd wildcard "*"'),
  // A secret starting with "@" makes pppd read a file instead.
  password: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[\x20-\x7e]+$/, 'printable ASCII')
    .refine((p) => !p.startsWith('@'), 'must not start with "@"'),
});

const schema = z
  .object({
    psk: z
      .string()
      .min(1)
      .max(256)
      .refine((s) => !s.includes('\0'), 'must not contain NUL'),
    users: z
      .array(userSchema)
      .min(1)
      .max(16)
      .refine((us) => new Set(us.map((u) => u.username)).size === us.length, 'usernames must be unique'),
    ike: z.string().max(512).regex(PROPOSAL, 'strongSwan proposal list, e.g. aes256-sha256-modp2048!'),
    esp: z.string().max(512).regex(PROPOSAL, 'strongSwan proposal list, e.g. aes256gcm16!'),
    auth: z.enum(['psk', 'pubkey']),
    credentials: z
      .object({
        caPems: z.array(pem).min(1).max(4),
        certPem: pem,
        keyPem: pem,
        keyType: z.enum(['rsa', 'ecdsa']),
      })
      .strict()
      .nullable(),
    // Written inside double quotes: no quote, backslash or control characters.
    leftId: z
      .string()
      .regex(/^[A-Za-z0-9@.=, _*+-]{1,200}$/, 'an FQDN (@name), address or DN without quotes')
      .nullable(),
    forceEncaps: z.boolean(),
    pppAuth: z.enum(['mschap-v2', 'chap-md5', 'pap', 'eap']),
    ipv6cp: z.boolean(),
    rekey: z.boolean(),
    ikeLifetimeSec: int(10, 7 * 86400),
    keyLifeSec: int(10, 7 * 86400),
    marginTimeSec: int(0, 7 * 86400),
    rekeyFuzzPercent: int(0, 200),
    dpdDelaySec: int(0, 3600),
    dpdTimeoutSec: int(1, 3600),
    dpdAction: z.enum(['clear', 'hold', 'restart', 'none']),
    uniqueIds: z.enum(['no', 'yes', 'never', 'replace', 'keep']),
    blockThreshold: int(0, 100_000),
    mtu: int(576, 1500),
    mru: int(576, 1500),
    lcpEchoIntervalSec: int(0, 3600),
    lcpEchoFailure: int(0, 100),
    dns: z.array(z.string().regex(IPV4, 'dotted IPv4 address')).max(2),
    ikeLogLevel: int(-1, 4),
    l2tpDebug: z.boolean(),
    xl2tpdUserspace: z.boolean(),
  })
  .strict()
  .refine((c) => c.marginTimeSec < Math.min(c.ikeLifetimeSec, c.keyLifeSec), {
    message: 'marginTimeSec must be below ikeLifetimeSec and keyLifeSec',
    path: ['marginTimeSec'],
  })
  .refine((c) => (c.auth === 'pubkey') === (c.credentials !== null), {
    message: "auth 'pubkey' needs credentials, auth 'psk' none",
    path: ['credentials'],
  });

/**
 * Defaults overridden by `partial`, validated. Throws an Error naming the offending fields; the message
 * never contains the values (they may be secrets).
 */
export function resolveConfig(partial: Partial<StrongSwanConfig> = {}): StrongSwanConfig {
  const merged = { ...DEFAULT_CONFIG, ...partial };
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`);
    throw new Error(`invalid strongSwan lab config: ${fields.join('; ')}`);
  }
  return parsed.data;
}

/**
 * Config fields given flat, as `npm run lab -- up strongswan --ppp-auth chap-md5 --force-encaps no` passes them
 * (strings or `true`), coerced to the field's type; `users` as "name:password,name:password". Other keys are
 * ignored. resolveConfig() validates the result.
 */
export function configFromFlatOptions(opts: Readonly<Record<string, unknown>>): Partial<StrongSwanConfig> {
  const out: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(DEFAULT_CONFIG)) {
    const v = opts[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' && typeof v !== 'boolean') {
      out[key] = v;
    } else if (key === 'users' && typeof v === 'string') {
      out[key] = v.split(',').map((pair) => {
        const at = pair.indexOf(':');
        return { username: pair.slice(0, Math.max(at, 0)), password: pair.slice(at + 1) };
      });
    } else if (key === 'dns' && typeof v === 'string') {
      out[key] = v.split(',').filter(Boolean);
    } else if (typeof def === 'boolean') {
      out[key] =
        v === true || v === 'yes' || v === 'true' || v === 'on'
          ? true
          : v === 'no' || v === 'false' || v === 'off'
            ? false
            : v;
    } else if (typeof def === 'number' && typeof v === 'string' && /^-?\d+$/.test(v)) {
      out[key] = Number(v);
    } else {
      out[key] = v;
    }
  }
  return out as Partial<StrongSwanConfig>;
}
