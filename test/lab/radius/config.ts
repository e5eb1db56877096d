/**
 * The lab's FreeRADIUS (Debian freeradius 3.2): one generated radiusd.conf (no Debian defaults, nothing from
 * /etc/freeradius), a users file and a local dictionary. Policies, per user (`Ferry-Mfa-Mode`):
 *   password    — PAP or MS-CHAPv2 against the password (the baseline: RADIUS without a second factor);
 *   otp-append  — PAP only: User-Password must be `<password><separator><6 digits>`; unlang splits it, compares
 *                 the password part, and rlm_totp checks the code (RFC 6238, SHA-1, 30 s, current step only);
 *   push        — PAP or MS-CHAPv2 against the password, then rlm_exec runs push-wait.sh, which holds the answer
 *                 until the test creates `approve-<user>` (Access-Accept) or `deny-<user>`, or its own timeout
 *                 passes (Access-Reject).
 * The log has one line per request (user name and verdict, never a password: auth_badpass/goodpass off).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Inside the SoftEther namespace, on its loopback: only vpnserver talks to it. */
export const RADIUS_ADDRESS = '127.0.0.1';
export const RADIUS_PORT = 1812;
export const PUSH_WAIT_SCRIPT = fileURLToPath(new URL('./push-wait.sh', import.meta.url));

export type RadiusUser =
  | { readonly username: string; readonly mode: 'password'; readonly password: string }
  | {
      readonly username: string;
      readonly mode: 'otp-append';
      readonly password: string;
      /** Base32 TOTP secret shared with the test (its "authenticator app"). */
      readonly totpSecret: string;
      readonly separator: string;
    }
  | { readonly username: string; readonly mode: 'push'; readonly password: string };

export interface RadiusConfig {
  /** The generated tree: raddb/, log/, run/, push/. */
  readonly dir: string;
  readonly secret: string;
  readonly users: readonly RadiusUser[];
  /** How long push-wait.sh waits for the approval file before rejecting (seconds). */
  readonly pushTimeoutSeconds: number;
}

/** User names and values go into a users file and vpncmd command lines: keep them plain. */
const USERNAME = /^[a-z][a-z0-9._-]{0,62}$/;
const SAFE_VALUE = /^[\x21\x23-\x2e\x30-\x5b\x5d-\x7e]{1,128}$/;
const BASE32 = /^[A-Z2-7]{16,128}$/;

export function checkUser(u: RadiusUser): void {
  if (!USERNAME.test(u.username)) throw new Error(`radius lab: bad user name ${JSON.stringify(u.username)}`);
  if (!SAFE_VALUE.test(u.password))
    throw new Error(
      `radius lab: the password of ${u.username} must be printable ASCII without space, quote, / or \\`,
    );
  if (u.mode === 'otp-append') {
    if (!BASE32.test(u.totpSecret)) throw new Error(`radius lab: bad TOTP secret for ${u.username}`);
    if (u.separator !== '' && (!SAFE_VALUE.test(u.separator) || /\d/.test(u.separator)))
      throw new Error(`radius lab: bad separator for ${u.username}`);
  }
}

export function checkSecret(s: string): void {
  if (!/^[A-Za-z0-9-]{8,64}$/.test(s))
    throw new Error('radius lab: the shared secret must be 8..64 of [A-Za-z0-9-]');
}

/** `s` as a PCRE literal (every non-alphanumeric escaped). */
const reLiteral = (s: string) => s.replace(/[^A-Za-z0-9]/g, (c) => `\\${c}`);

export const paths = (dir: string) => ({
  raddb: join(dir, 'raddb'),
  log: join(dir, 'log'),
  run: join(dir, 'run'),
  push: join(dir, 'push'),
  pushLog: join(dir, 'push', 'push.log'),
  serverLog: join(dir, 'radius.out'),
});

export function renderDictionary(): string {
  return `# Ferry lab: local attributes (3000-3999 are reserved for local use)
ATTRIBUTE	Ferry-Mfa-Mode		3000	string
ATTRIBUTE	Ferry-Password		3001	string
ATTRIBUTE	Ferry-Given-Password	3002	string
ATTRIBUTE	Ferry-Separator-Id	3003	string
`;
}

export function renderUsers(users: readonly RadiusUser[]): string {
  const lines = users.map((u) => {
    checkUser(u);
    if (u.mode !== 'otp-append')
      return `${u.username}\tFerry-Mfa-Mode := "${u.mode}", Cleartext-Password := "${u.password}"`;
    const sep = `s${separators(users).indexOf(u.separator)}`;
    return `${u.username}\tFerry-Mfa-Mode := "otp-append", Ferry-Password := "${u.password}", TOTP-Secret := "${u.totpSecret}", Ferry-Separator-Id := "${sep}"`;
  });
  return `# Ferry lab users (generated)\n${lines.join('\n')}\n`;
}

const separators = (users: readonly RadiusUser[]): string[] => [
  ...new Set(users.flatMap((u) => (u.mode === 'otp-append' ? [u.separator] : []))),
];

/** The `otp-append` split, one branch per distinct separator (unlang regexes must be literal). */
function otpSplit(users: readonly RadiusUser[]): string {
  const branches = separators(users).map(
    (
      sep,
      i,
    ) => `\t\t\tif (&control:Ferry-Separator-Id == "s${i}" && &User-Password =~ /^(.*)${reLiteral(sep)}([0-9]{6})$/) {
\t\t\t\tupdate request {
\t\t\t\t\t&Ferry-Given-Password := "%{1}"
\t\t\t\t\t&TOTP-Password := "%{2}"
\t\t\t\t}
\t\t\t}`,
  );
  return branches.join('\n');
}

export function renderRadiusdConf(c: RadiusConfig): string {
  checkSecret(c.secret);
  if (!Number.isInteger(c.pushTimeoutSeconds) || c.pushTimeoutSeconds < 1 || c.pushTimeoutSeconds > 120)
    throw new Error('radius lab: pushTimeoutSeconds must be 1..120');
  const p = paths(c.dir);
  return `# Ferry lab FreeRADIUS (generated; nothing from /etc/freeradius is read)
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = ${p.log}
raddbdir = ${p.raddb}
radacctdir = \${logdir}/radacct
name = freeradius
confdir = \${raddbdir}
modconfdir = \${confdir}/mods-config
run_dir = ${p.run}
db_dir = \${raddbdir}
libdir = /usr/lib/freeradius
pidfile = \${run_dir}/radiusd.pid
# A push may hold a request this long (push-wait.sh gives up before).
max_request_time = ${Math.max(30, c.pushTimeoutSeconds + 10)}
cleanup_delay = 2
max_requests = 256
hostname_lookups = no
log {
	destination = files
	file = \${logdir}/radius.log
	colourise = no
	stripped_names = no
	auth = yes
	auth_badpass = no
	auth_goodpass = no
}
security {
	allow_core_dumps = no
	max_attributes = 200
	reject_delay = 0
	status_server = no
}
proxy_requests = no
client softether {
	ipaddr = ${RADIUS_ADDRESS}
	secret = ${c.secret}
	require_message_authenticator = no
	nas_type = other
}
thread pool {
	start_servers = 4
	max_servers = 8
	min_spare_servers = 2
	max_spare_servers = 4
	max_requests_per_server = 0
}
modules {
	files {
		filename = \${confdir}/users
	}
	pap {
		normalise = no
	}
	mschap {
	}
	totp {
	}
	exec push_wait {
		wait = yes
		program = "/bin/sh ${PUSH_WAIT_SCRIPT} ${p.push} %{User-Name} ${c.pushTimeoutSeconds}"
		input_pairs = request
		shell_escape = yes
		timeout = ${Math.min(30, c.pushTimeoutSeconds + 5)}
	}
	always reject {
		rcode = reject
	}
}
server ferry {
	listen {
		type = auth
		ipaddr = ${RADIUS_ADDRESS}
		port = ${RADIUS_PORT}
	}
	authorize {
		files
		if (!&control:Ferry-Mfa-Mode) {
			reject
		}
		if (&control:Ferry-Mfa-Mode == "otp-append") {
			# The second factor travels appended to the password (PAP only).
			if (!&User-Password) {
				reject
			}
${otpSplit(c.users)}
			if (!&TOTP-Password) {
				reject
			}
			update control {
				&Auth-Type := ferry-otp
			}
		}
		else {
			mschap
			pap
			if (&control:Ferry-Mfa-Mode == "push") {
				if (&control:Auth-Type == "MS-CHAP") {
					update control {
						&Auth-Type := ferry-push-mschap
					}
				}
				else {
					update control {
						&Auth-Type := ferry-push-pap
					}
				}
			}
		}
	}
	authenticate {
		Auth-Type PAP {
			pap
		}
		Auth-Type MS-CHAP {
			mschap
		}
		Auth-Type ferry-otp {
			if (&request:Ferry-Given-Password != &control:Ferry-Password) {
				update request {
					&Module-Failure-Message := "ferry: the password before the code does not match"
				}
				reject
			}
			totp {
				fail = 1
			}
			if (fail) {
				update request {
					&Module-Failure-Message := "ferry: the one-time code is not the current one"
				}
				reject
			}
		}
		Auth-Type ferry-push-pap {
			pap
			push_wait
		}
		Auth-Type ferry-push-mschap {
			mschap
			push_wait
		}
	}
}
`;
}
