/**
 * The profile editor's form model: every input as the user types it (strings for numbers and lists), converted
 * to and from a Profile. Defaults come from the shared schema, so the editor never disagrees with the core.
 */
import type { DhGroupName } from '../../core/profile/algorithms';
import { type Profile, profileSchema, type UserAuthMethod } from '../../core/profile/schema';

export type RemoteIdType = 'auto' | 'ipv4' | 'fqdn' | 'user-fqdn' | 'dn';
export type MfaMode = Profile['mfa']['mode'];

export interface ProfileForm {
  id: string;
  name: string;
  server: string;
  remoteIdType: RemoteIdType;
  remoteIdValue: string;
  machineAuth: 'psk' | 'certificate';
  clientCertificate: string;
  caCertificatePem: string;
  username: string;
  methods: UserAuthMethod[];
  mfaMode: MfaMode;
  otpSeparator: string;
  pushTimeoutSeconds: string;
  routingMode: 'split' | 'full';
  subnets: string;
  useServerDns: boolean;
  dnsServers: string;
  searchDomains: string;
  mtu: string;
  mru: string;
  lcpEchoInterval: string;
  lcpEchoFailures: string;
  phase1: string;
  phase2: string;
  pfsGroup: DhGroupName | '';
  legacy: boolean;
  onlyTheseProposals: boolean;
  phase1Lifetime: string;
  phase2Lifetime: string;
  killSwitch: boolean;
  autoConnect: boolean;
  autoReconnect: boolean;
}

export type FormField = keyof ProfileForm;

/** Fields whose text is a list, one item per line (or comma separated). */
export const LIST_FIELDS = ['subnets', 'dnsServers', 'searchDomains', 'phase1', 'phase2'] as const;
export type ListField = (typeof LIST_FIELDS)[number];

export const splitList = (text: string): string[] =>
  text
    .split(/[\n,]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

const joinList = (items: readonly string[] | undefined): string => (items ?? []).join('\n');

/** "" stays undefined (the schema default applies); anything else must be a whole number. */
function parseNumber(text: string): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  return /^-?\d+$/.test(t) ? Number(t) : Number.NaN;
}

export function formFromProfile(p: Profile): ProfileForm {
  return {
    id: p.id,
    name: p.name,
    server: p.server,
    remoteIdType: p.remoteId?.type ?? 'auto',
    remoteIdValue: p.remoteId?.value ?? '',
    machineAuth: p.machineAuth.method,
    clientCertificate: p.machineAuth.method === 'certificate' ? p.machineAuth.clientCertificate : '',
    caCertificatePem: p.machineAuth.method === 'certificate' ? p.machineAuth.caCertificatePem : '',
    username: p.userAuth.username,
    methods: [...p.userAuth.methods],
    mfaMode: p.mfa.mode,
    otpSeparator: p.mfa.mode === 'otp-append' ? p.mfa.separator : '',
    pushTimeoutSeconds: p.mfa.mode === 'push' ? String(p.mfa.timeoutSeconds) : '60',
    routingMode: p.routing.mode,
    subnets: p.routing.mode === 'split' ? joinList(p.routing.subnets) : '',
    useServerDns: p.dns.useServerDns,
    dnsServers: joinList(p.dns.servers),
    searchDomains: joinList(p.dns.searchDomains),
    mtu: String(p.mtu),
    mru: String(p.mru),
    lcpEchoInterval: String(p.lcpEcho.intervalSeconds),
    lcpEchoFailures: String(p.lcpEcho.failures),
    phase1: joinList(p.algorithms.phase1),
    phase2: joinList(p.algorithms.phase2),
    pfsGroup: p.algorithms.pfsGroup ?? '',
    legacy: p.algorithms.legacy,
    onlyTheseProposals: p.algorithms.onlyTheseProposals,
    phase1Lifetime: String(p.algorithms.phase1LifetimeSeconds),
    phase2Lifetime: String(p.algorithms.phase2LifetimeSeconds),
    killSwitch: p.killSwitch,
    autoConnect: p.autoConnect,
    autoReconnect: p.autoReconnect,
  };
}

/** The schema's defaults as a blank form (identity fields empty). */
export function blankForm(): ProfileForm {
  const defaults = profileSchema.parse({
    id: 'new',
    name: 'New',
    server: 'vpn.example.com',
    userAuth: { username: 'user' },
  });
  return { ...formFromProfile(defaults), id: '', name: '', server: '', username: '' };
}

/** The untrusted profile object the form describes (validated by the schema, here and again in the host). */
export function profileFromForm(f: ProfileForm): Record<string, unknown> {
  const optionalList = (text: string): string[] | undefined => {
    const items = splitList(text);
    return items.length ? items : undefined;
  };
  const mfa =
    f.mfaMode === 'otp-append'
      ? { mode: f.mfaMode, separator: f.otpSeparator }
      : f.mfaMode === 'push'
        ? { mode: f.mfaMode, timeoutSeconds: parseNumber(f.pushTimeoutSeconds) }
        : { mode: f.mfaMode };
  return {
    id: f.id.trim(),
    name: f.name,
    server: f.server.trim(),
    ...(f.remoteIdType === 'auto'
      ? {}
      : { remoteId: { type: f.remoteIdType, value: f.remoteIdValue.trim() } }),
    machineAuth:
      f.machineAuth === 'psk'
        ? { method: 'psk' }
        : {
            method: 'certificate',
            clientCertificate: f.clientCertificate.trim(),
            caCertificatePem: f.caCertificatePem.trim(),
          },
    userAuth: { username: f.username.trim(), methods: [...f.methods] },
    mfa,
    routing: f.routingMode === 'full' ? { mode: 'full' } : { mode: 'split', subnets: splitList(f.subnets) },
    dns: {
      useServerDns: f.useServerDns,
      servers: splitList(f.dnsServers),
      searchDomains: splitList(f.searchDomains),
    },
    mtu: parseNumber(f.mtu),
    mru: parseNumber(f.mru),
    lcpEcho: { intervalSeconds: parseNumber(f.lcpEchoInterval), failures: parseNumber(f.lcpEchoFailures) },
    algorithms: {
      phase1: optionalList(f.phase1),
      phase2: optionalList(f.phase2),
      ...(f.pfsGroup ? { pfsGroup: f.pfsGroup } : {}),
      legacy: f.legacy,
      onlyTheseProposals: f.onlyTheseProposals,
      phase1LifetimeSeconds: parseNumber(f.phase1Lifetime),
      phase2LifetimeSeconds: parseNumber(f.phase2Lifetime),
    },
    killSwitch: f.killSwitch,
    autoConnect: f.autoConnect,
    autoReconnect: f.autoReconnect,
  };
}

/** A profile id suggested from its name ("Office Berlin" → "office-berlin"). */
export function suggestId(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^\p{ASCII}]/gu, '')
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .replace(/-+$/, '')
    .slice(0, 64);
}

/** Toggles an auth method, keeping the order of those already chosen (most preferred first). */
export function toggleMethod(
  methods: readonly UserAuthMethod[],
  m: UserAuthMethod,
  on: boolean,
): UserAuthMethod[] {
  if (on) return methods.includes(m) ? [...methods] : [...methods, m];
  return methods.filter((x) => x !== m);
}

/** Human warnings shown next to the form while editing (not errors: the profile is still valid). */
export function formWarnings(f: ProfileForm): Partial<Record<FormField, string>> {
  const w: Partial<Record<FormField, string>> = {};
  if (f.methods.includes('pap'))
    w.methods =
      'PAP sends your password unhashed to the server (inside IPsec). Allow it only if the server needs it.';
  if (f.legacy)
    w.legacy =
      'Legacy compatibility allows 3DES, MODP-1024 and MD5, which are broken or weak. Enable it only for old servers.';
  if (f.onlyTheseProposals && !splitList(f.phase1).length && !splitList(f.phase2).length)
    w.onlyTheseProposals = 'No custom proposals are listed, so the defaults are sent.';
  return w;
}
