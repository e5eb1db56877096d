/**
 * Renders a validated StrongSwanConfig into the guest's config files. The guest script ferry-apply writes
 * them byte for byte (only to a fixed list of paths) and restarts only the daemons whose files changed.
 */
import { createHash } from 'node:crypto';
import type { LabCredentials, StrongSwanConfig } from './config';

/** Addresses inside the lab (fixed; see index.ts for the link). */
export const TUNNEL_LOCAL = '10.203.0.1';
export const TUNNEL_POOL = { first: '10.203.0.10', last: '10.203.0.50' } as const;
export const CONN_NAME = 'L2TP-PSK';
const SERVER_NAME = 'ferry-lab';

const HEADER_TEXT =
  'Written by the Ferry lab (test/lab/strongswan/render.ts); rewritten on every reconfigure.';
const HEADER = `# ${HEADER_TEXT}\n`;
/** xl2tpd only knows ";" comments, and none before the first section. */
const XL2TPD_HEADER = `[global]\n; ${HEADER_TEXT}\n`;

export interface GuestFile {
  readonly path: string;
  readonly content: string;
}

/** A pppd secrets-file word: quoted, and everything but [A-Za-z0-9._-] as a \xHH escape (pppd getword). */
export function pppWord(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.charCodeAt(0);
    if (/^[A-Za-z0-9._-]$/.test(ch)) out += ch;
    else if (code <= 0x7e && code >= 0x20) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else throw new Error('pppd secrets accept printable ASCII only');
  }
  return `${out}"`;
}

const yesNo = (b: boolean) => (b ? 'yes' : 'no');

/** Where installCredentials() puts the server's certificate material (see credentials.ts). */
export const SERVER_CERT_FILE = 'ferry-server.pem';
export const SERVER_KEY_FILE = 'ferry-server.key';

/** Changes whenever the credentials do, so ipsec.conf changes and ferry-apply restarts charon to reload them. */
export function credentialsDigest(c: LabCredentials): string {
  return createHash('sha256')
    .update(JSON.stringify([c.caPems, c.certPem, c.keyPem, c.keyType]))
    .digest('hex')
    .slice(0, 16);
}

/** The conn lines that differ between PSK and certificates (PSK renders as it always did). */
function authLines(c: StrongSwanConfig): string {
  const id = c.leftId === null ? '' : `\tleftid="${c.leftId}"\n`;
  if (c.auth === 'psk' || c.credentials === null) return `\tauthby=secret\n${id}`;
  return (
    `\tauthby=pubkey\n\tleftcert=${SERVER_CERT_FILE}\n\tleftsendcert=ifasked\n${id}` +
    `\trightid=%any\n\t# credentials ${credentialsDigest(c.credentials)}\n`
  );
}

function ipsecConf(c: StrongSwanConfig): string {
  const l = c.ikeLogLevel;
  const low = Math.min(l, 1);
  return `${HEADER}config setup
\tcharondebug="ike ${l}, net ${l}, cfg ${l}, chd ${l}, knl ${low}, enc ${low}, mgr 0"
\tuniqueids=${c.uniqueIds}

conn ${CONN_NAME}
\tkeyexchange=ikev1
${authLines(c)}\ttype=transport
\tleft=%any
\tleftprotoport=17/1701
\tright=%any
\trightprotoport=17/%any
\tike=${c.ike}
\tesp=${c.esp}
\tforceencaps=${yesNo(c.forceEncaps)}
\trekey=${yesNo(c.rekey)}
\tikelifetime=${c.ikeLifetimeSec}s
\tlifetime=${c.keyLifeSec}s
\tmargintime=${c.marginTimeSec}s
\trekeyfuzz=${c.rekeyFuzzPercent}%
\tdpddelay=${c.dpdDelaySec}s
\tdpdtimeout=${c.dpdTimeoutSec}s
\tdpdaction=${c.dpdAction}
\tauto=add
`;
}

function ipsecSecrets(c: StrongSwanConfig): string {
  const psk = `%any %any : PSK 0x${Buffer.from(c.psk, 'utf8').toString('hex')}\n`;
  if (c.auth === 'psk' || c.credentials === null) return `${HEADER}${psk}`;
  return `${HEADER}${psk}: ${c.credentials.keyType === 'rsa' ? 'RSA' : 'ECDSA'} ${SERVER_KEY_FILE}\n`;
}

function charonConf(c: StrongSwanConfig): string {
  return `${HEADER}charon {
    block_threshold = ${c.blockThreshold}
    install_routes = no
    install_virtual_ip = no
}
`;
}

function xl2tpdConf(c: StrongSwanConfig): string {
  const d = yesNo(c.l2tpDebug);
  return `${XL2TPD_HEADER}port = 1701
access control = no
force userspace = ${yesNo(c.xl2tpdUserspace)}
debug avp = ${d}
debug state = ${d}
debug tunnel = ${d}

[lns default]
ip range = ${TUNNEL_POOL.first}-${TUNNEL_POOL.last}
local ip = ${TUNNEL_LOCAL}
; authentication is chosen in options.xl2tpd only: "require chap = yes" would make pppd offer CHAP-MD5 first
require chap = no
require pap = no
require authentication = yes
name = ${SERVER_NAME}
ppp debug = yes
pppoptfile = /etc/ppp/options.xl2tpd
length bit = yes
`;
}

const PPP_AUTH_OPTION: Record<StrongSwanConfig['pppAuth'], string> = {
  'mschap-v2': 'require-mschap-v2',
  'chap-md5': 'require-chap',
  pap: 'require-pap',
  eap: 'require-eap',
};

function pppOptions(c: StrongSwanConfig): string {
  const lines = [
    `name ${SERVER_NAME}`,
    'auth',
    PPP_AUTH_OPTION[c.pppAuth],
    'hide-password',
    ...c.dns.map((d) => `ms-dns ${d}`),
    `mtu ${c.mtu}`,
    `mru ${c.mru}`,
    `lcp-echo-interval ${c.lcpEchoIntervalSec}`,
    `lcp-echo-failure ${c.lcpEchoFailure}`,
    'noccp',
    'nodefaultroute',
    c.ipv6cp ? '+ipv6' : 'noipv6',
    'debug',
  ];
  return `${HEADER}${lines.join('\n')}\n`;
}

function secrets(c: StrongSwanConfig): string {
  const rows = c.users.map((u) => `${pppWord(u.username)} * ${pppWord(u.password)} *`);
  return `${HEADER}# client server secret addresses\n${rows.join('\n')}\n`;
}

/** Every file the guest receives for `config`, in a fixed order. */
export function renderGuestFiles(c: StrongSwanConfig): GuestFile[] {
  return [
    { path: '/etc/ipsec.conf', content: ipsecConf(c) },
    { path: '/etc/ipsec.secrets', content: ipsecSecrets(c) },
    { path: '/etc/strongswan.d/zz-ferry.conf', content: charonConf(c) },
    { path: '/etc/xl2tpd/xl2tpd.conf', content: xl2tpdConf(c) },
    { path: '/etc/ppp/options.xl2tpd', content: pppOptions(c) },
    { path: '/etc/ppp/chap-secrets', content: secrets(c) },
    { path: '/etc/ppp/pap-secrets', content: secrets(c) },
  ];
}

/** ferry-apply's stdin: per file a line "FILE <path> <byte length>" followed by the content itself. */
export function applyBundle(files: readonly GuestFile[]): string {
  return files.map((f) => `FILE ${f.path} ${Buffer.byteLength(f.content, 'utf8')}\n${f.content}`).join('');
}
