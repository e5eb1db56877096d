/**
 * The privileged helper for real on Linux, in namespaces of its own: a client namespace `ferry-ht` with a veth
 * to a fake gateway namespace `ferry-htg` (which also holds the "VPN server" address), a resolv.conf under
 * /etc/netns/ferry-ht/, the real helper process spawned inside `ferry-ht`, real `ip`, `nft`, TUN devices.
 * Every change is checked against `ip route show table all`, `ip rule`, `nft list ruleset`, links, addresses and
 * the resolv.conf bytes taken before: identical after disconnect, kill -9 of the client, kill -9 of the helper.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isFerryError } from '../../core/common/errors';
import { HelperClient } from '../../main/helper/client';
import { spawnHelperStdio } from '../../main/helper/spawn';
import {
  killPid,
  LAB_ROOT,
  netnsAdd,
  netnsDelete,
  pidAlive,
  run,
  sleep,
  spawnDaemon,
  vethPair,
  waitFor,
} from '../lab/sys';
import { describeLab } from '../support/env';

const NS = 'ferry-ht';
const GW_NS = 'ferry-htg';
const GATEWAY = '10.231.0.1';
const SERVER = '10.232.0.1';
const TUN_LOCAL = '10.77.0.2';
const TUN_PEER = '10.77.0.1';
const GROUP = 4242;
const NOBODY = 65534;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HELPER_MAIN = join(ROOT, 'main/helper/main.ts');
const DIR = join(LAB_ROOT, 'helper-test');
const SOCK = join(DIR, 'run', 'helper.sock');
const STATE = join(DIR, 'state', 'state.json');
const LOG = join(DIR, 'helper.log');
const TUN_NODE = join(DIR, 'tun');
const RESOLV = `/etc/netns/${NS}/resolv.conf`;
const RESOLV_ORIGINAL = Buffer.from(
  '# ferry-ht test resolver\nnameserver 10.231.0.1\nsearch lab.invalid\noptions edns0',
);

const measured: Record<string, number | string> = {};
let helperPid = 0;
let baseline = '';
let hostResolv: Buffer | null = null;

/** What the tests compare: routes (all tables), rules, the nft ruleset, links, addresses, resolv.conf bytes. */
async function snapshot(): Promise<string> {
  const [routes, rules, nft, links, addrs] = await Promise.all([
    run(['ip', '-n', NS, 'route', 'show', 'table', 'all']),
    run(['ip', '-n', NS, 'rule']),
    run(['nft', 'list', 'ruleset'], { netns: NS }),
    run(['ip', '-n', NS, '-o', 'link', 'show']),
    run(['ip', '-n', NS, '-o', 'addr', 'show']),
  ]);
  const linkNames = links.stdout
    .split('\n')
    .map((l) => l.split(':')[1]?.trim().split('@')[0] ?? '')
    .filter(Boolean);
  return JSON.stringify({
    routes: routes.stdout,
    rules: rules.stdout,
    nft: nft.stdout,
    links: linkNames,
    addrs: addrs.stdout,
    resolv: readFileSync(RESOLV).toString('base64'),
  });
}

/** Polls until the namespace is back to the baseline; returns the milliseconds since `since`. */
async function restoredWithin(since: number, timeoutMs = 5000): Promise<number> {
  await waitFor('network state back to baseline', async () => (await snapshot()) === baseline, timeoutMs, 10);
  return Math.round(performance.now() - since);
}

function startHelper(): number {
  const pid = spawnDaemon(
    [
      'node',
      '--import',
      'tsx',
      HELPER_MAIN,
      '--socket',
      SOCK,
      '--state',
      STATE,
      '--group',
      String(GROUP),
      '--log-level',
      'debug',
    ],
    LOG,
    { netns: NS },
  );
  return pid;
}

async function waitForHelper(pid: number): Promise<void> {
  await waitFor(
    'helper socket',
    async () => pidAlive(pid) && existsSync(SOCK) && (await canConnect()),
    30_000,
    50,
  );
}

function canConnect(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(SOCK);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** A raw line exchange, as a hostile or careless client would do it (no socket verification, no framing help). */
function rawExchange(lines: (string | Buffer)[], expect: number): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const s = createConnection(SOCK);
    const got: unknown[] = [];
    let buf = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`got ${got.length}/${expect} responses: ${JSON.stringify(got)}`));
    }, 10_000);
    s.on('data', (d) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        got.push(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
      }
      if (got.length >= expect) {
        clearTimeout(timer);
        s.destroy();
        resolve(got);
      }
    });
    s.on('error', reject);
    for (const l of lines) s.write(l);
  });
}

/** Runs a TypeScript module (ES, top-level await) as another process: `node --import tsx -e`. */
function tsArgv(code: string): string[] {
  return ['node', '--import', 'tsx', '--input-type=module', '-e', code];
}

const asUser = (groups: number[] | null) => [
  'setpriv',
  `--reuid=${NOBODY}`,
  `--regid=${NOBODY}`,
  ...(groups ? [`--groups=${groups.join(',')}`] : ['--clear-groups']),
];

/** A long-running child; resolves once it printed READY. */
function startChild(argv: string[]): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d) => {
    out += d.toString();
  });
  return waitFor(
    'child READY',
    async () => out.includes('READY') || child.exitCode !== null,
    60_000,
    20,
  ).then(() => {
    if (!out.includes('READY')) throw new Error(`child failed: ${out}`);
    return { child, out: () => out };
  });
}

/** UDP probes from inside the client namespace: 'ok' or the errno code of the failed send. */
async function probe(targets: [string, number][]): Promise<string[]> {
  const code = `
const dgram = require('node:dgram');
const targets = ${JSON.stringify(targets)};
const out = [];
(async () => {
  for (const [host, port] of targets) {
    const s = dgram.createSocket('udp4');
    out.push(await new Promise((r) => s.send(Buffer.from('ferry-probe'), port, host, (e) => { s.close(); r(e ? e.code : 'ok'); })));
  }
  console.log(JSON.stringify(out));
})();`;
  const r = await run(['node', '-e', code], { netns: NS });
  return JSON.parse(r.stdout.trim()) as string[];
}

const helperLog = () => readFileSync(LOG, 'utf8');

describeLab('privileged helper on Linux (real TUN, ip, nft, resolv.conf)', () => {
  beforeAll(async () => {
    await netnsDelete(NS);
    await netnsDelete(GW_NS);
    rmSync(DIR, { recursive: true, force: true });
    await netnsAdd(NS);
    await netnsAdd(GW_NS);
    await vethPair({
      a: 'fht-c',
      aAddr: `10.231.0.2/24`,
      aNetns: NS,
      b: 'fht-g',
      bAddr: `${GATEWAY}/24`,
      bNetns: GW_NS,
    });
    await run(['ip', '-n', NS, 'route', 'add', 'default', 'via', GATEWAY]);
    await run(['ip', '-n', GW_NS, 'addr', 'add', `${SERVER}/32`, 'dev', 'lo']);
    mkdirSync(`/etc/netns/${NS}`, { recursive: true });
    writeFileSync(RESOLV, RESOLV_ORIGINAL);
    mkdirSync(DIR, { recursive: true, mode: 0o755 });
    chmodSync(DIR, 0o755);
    hostResolv = existsSync('/etc/resolv.conf') ? readFileSync('/etc/resolv.conf') : null;
    baseline = await snapshot();
    helperPid = startHelper();
    await waitForHelper(helperPid);
  });

  afterAll(async () => {
    if (helperPid) await killPid(helperPid);
    await netnsDelete(NS);
    await netnsDelete(GW_NS);
    rmSync(`/etc/netns/${NS}`, { recursive: true, force: true });
    rmSync(DIR, { recursive: true, force: true });
    if (hostResolv) expect(readFileSync('/etc/resolv.conf').equals(hostResolv)).toBe(true);
    console.log(`helper interop measurements: ${JSON.stringify(measured)}`);
  });

  it('listens on a root:group 0660 socket in a 0750 directory', () => {
    const dir = statSync(join(DIR, 'run'));
    const sock = statSync(SOCK);
    expect([dir.uid, dir.gid, dir.mode & 0o777]).toEqual([0, GROUP, 0o750]);
    expect([sock.uid, sock.gid, sock.mode & 0o777, sock.isSocket()]).toEqual([0, GROUP, 0o660, true]);
  });

  let client: HelperClient;
  let tun = '';

  it('creates a TUN owned by the app user with address, MTU and split routes', async () => {
    client = await HelperClient.connect({ socketPath: SOCK });
    const created = await client.createTun({ mtu: 1400, owner: { uid: NOBODY } });
    tun = created.name;
    expect(tun).toMatch(/^ferry\d+$/);
    await client.setAddress({ name: tun, address: TUN_LOCAL, peer: TUN_PEER });
    await client.setMtu({ name: tun, mtu: 1380 });
    expect(await client.addRoutes({ name: tun, cidrs: ['10.50.0.0/16', '10.60.1.0/24'] })).toEqual({
      added: 2,
    });
    const link = (await run(['ip', '-n', NS, '-d', 'link', 'show', 'dev', tun])).stdout;
    expect(link).toMatch(/mtu 1380/);
    expect(link).toMatch(/tun type tun pi off .*persist on user (nobody|65534)/);
    const routes = (await run(['ip', '-n', NS, 'route', 'show'])).stdout;
    expect(routes).toMatch(new RegExp(`^10\\.50\\.0\\.0/16 dev ${tun} `, 'm'));
    expect(routes).toMatch(new RegExp(`^10\\.60\\.1\\.0/24 dev ${tun} `, 'm'));
    expect(routes).toMatch(
      new RegExp(
        `^${TUN_PEER.replace(/\./g, '\\.')} dev ${tun} proto kernel scope link src ${TUN_LOCAL.replace(/\./g, '\\.')}`,
        'm',
      ),
    );
    expect(await client.removeRoutes({ name: tun, cidrs: ['10.60.1.0/24'] })).toEqual({ removed: 1 });
    expect((await run(['ip', '-n', NS, 'route', 'show'])).stdout).not.toMatch(/10\.60\.1\.0/);
    const e = await client.addRoutes({ name: 'fht-c', cidrs: ['10.70.0.0/16'] }).catch((x: unknown) => x);
    expect(isFerryError(e) && e.code).toBe('not-ours');
  });

  it('full tunnel: 0/1 and 128/1 through the TUN, the server via the original gateway', async () => {
    expect(await client.setFullTunnel({ name: tun, server: SERVER })).toEqual({
      gateway: GATEWAY,
      device: 'fht-c',
    });
    const routes = (await run(['ip', '-n', NS, 'route', 'show'])).stdout;
    expect(routes).toMatch(new RegExp(`^0\\.0\\.0\\.0/1 dev ${tun} `, 'm'));
    expect(routes).toMatch(new RegExp(`^128\\.0\\.0\\.0/1 dev ${tun} `, 'm'));
    expect(routes).toMatch(/^10\.232\.0\.1 via 10\.231\.0\.1 dev fht-c/m);
    expect(routes).toMatch(/^default via 10\.231\.0\.1 dev fht-c/m); // the original default stays, less specific
    expect((await run(['ip', '-n', NS, 'route', 'get', '198.51.100.1'])).stdout).toMatch(
      new RegExp(`dev ${tun}`),
    );
    expect((await run(['ip', '-n', NS, 'route', 'get', SERVER])).stdout).toMatch(
      /via 10\.231\.0\.1 dev fht-c/,
    );
  });

  it('DNS: resolv.conf rewritten in place while on, byte-identical after restore', async () => {
    const inode = statSync(RESOLV).ino;
    expect(
      await client.setDns({
        name: tun,
        servers: ['10.77.0.53', '10.77.0.54'],
        searchDomains: ['corp.example'],
      }),
    ).toEqual({
      method: 'dns-file',
    });
    const on = readFileSync(RESOLV, 'utf8');
    expect(on).toContain('nameserver 10.77.0.53\nnameserver 10.77.0.54\nsearch corp.example\n');
    expect(statSync(RESOLV).ino).toBe(inode);
    expect(await client.restoreDns()).toEqual({ restored: true });
    expect(readFileSync(RESOLV).equals(RESOLV_ORIGINAL)).toBe(true);
    await client.setDns({ name: tun, servers: ['10.77.0.53'], searchDomains: [] });
  });

  it('kill switch: only the tunnel and the server IKE ports pass; removed afterwards', async () => {
    const receiver = await startChild([
      'ip',
      'netns',
      'exec',
      GW_NS,
      'node',
      '-e',
      `const d=require('node:dgram');let n=0;for(const p of [500,4500]){const s=d.createSocket('udp4');s.on('message',()=>{console.log('GOT '+p);});s.bind(p,()=>{if(++n===2)console.log('READY')});}`,
    ]);
    try {
      await client.enableKillSwitch({ name: tun, server: SERVER });
      expect(
        (await run(['nft', 'list', 'table', 'inet', 'ferry_killswitch'], { netns: NS })).stdout,
      ).toContain(`oifname "${tun}" accept`);
      const results = await probe([
        [SERVER, 4500],
        [SERVER, 500],
        [SERVER, 53],
        [GATEWAY, 9],
        [TUN_PEER, 9],
      ]);
      expect(results).toEqual(['ok', 'ok', 'EPERM', 'EPERM', 'ok']);
      await waitFor(
        'IKE probes at the server',
        async () => receiver.out().includes('GOT 4500') && receiver.out().includes('GOT 500'),
        5000,
      );
      expect(await client.disableKillSwitch()).toEqual({ disabled: true });
      expect((await run(['nft', 'list', 'ruleset'], { netns: NS })).stdout).not.toContain('ferry_killswitch');
      expect(await probe([[GATEWAY, 9]])).toEqual(['ok']);
      await client.enableKillSwitch({ name: tun, server: SERVER, serverPorts: [4500] });
    } finally {
      receiver.child.kill('SIGKILL');
    }
  });

  it('client disconnect: routes, DNS, firewall and TUN restored within a second', async () => {
    expect(await snapshot()).not.toBe(baseline);
    const t0 = performance.now();
    await client.close();
    const ms = await restoredWithin(t0);
    measured.restoreAfterDisconnectMs = ms;
    expect(ms).toBeLessThan(1000);
    // The helper drops its state file right after the last undo, a moment after the network looks restored.
    await waitFor('the state file removed', async () => !existsSync(STATE), 2000, 10);
  });

  it('kill -9 of the client process: everything restored within a second', async () => {
    const c = await startChild(
      tsArgv(`
import { HelperClient } from ${JSON.stringify(join(ROOT, 'main/helper/client.ts'))};
const c = await HelperClient.connect({ socketPath: ${JSON.stringify(SOCK)} });
const { name } = await c.createTun({ mtu: 1400, clampMss: true });
await c.setAddress({ name, address: '${TUN_LOCAL}', peer: '${TUN_PEER}' });
await c.addRoutes({ name, cidrs: ['10.50.0.0/16'] });
await c.setFullTunnel({ name, server: '${SERVER}' });
await c.setDns({ name, servers: ['10.77.0.53'], searchDomains: ['corp.example'] });
await c.enableKillSwitch({ name, server: '${SERVER}' });
console.log('READY');
setInterval(() => {}, 1000);
`),
    );
    const on = JSON.parse(await snapshot());
    expect(on.nft).toContain('ferry_killswitch');
    expect(on.nft).toContain('maxseg size set rt mtu');
    expect(Buffer.from(on.resolv, 'base64').toString()).toContain('nameserver 10.77.0.53');
    const killedAt = Date.now();
    const t0 = performance.now();
    c.child.kill('SIGKILL');
    const ms = await restoredWithin(t0);
    measured.restoreAfterClientKill9Ms = ms;
    expect(ms).toBeLessThan(1000);
    // the helper's own account: when it finished undoing, relative to the kill
    const line = helperLog()
      .split('\n')
      .reverse()
      .find((l) => l.includes('session closed: its changes were undone'));
    expect(line).toBeDefined();
    measured.helperUndoAfterKill9Ms = Date.parse(line!.split(' ')[0]!) - killedAt;
    measured.helperUndoWorkMs = (JSON.parse(line!.slice(line!.indexOf('{'))) as { ms: number }).ms;
  });

  it('kill -9 of the helper, restart: the state file is repaired', async () => {
    const c = await HelperClient.connect({ socketPath: SOCK });
    const { name } = await c.createTun({ mtu: 1400 });
    await c.setAddress({ name, address: TUN_LOCAL, peer: TUN_PEER });
    await c.setFullTunnel({ name, server: SERVER });
    await c.setDns({ name, servers: ['10.77.0.53'], searchDomains: [] });
    await c.enableKillSwitch({ name, server: SERVER });
    const state = JSON.parse(readFileSync(STATE, 'utf8')) as { entries: { undo: { kind: string } }[] };
    expect(state.entries.map((e) => e.undo.kind)).toEqual([
      'tun',
      'route',
      'route',
      'route',
      'dns-file',
      'nft-table',
    ]);
    expect(statSync(STATE).mode & 0o777).toBe(0o600);
    process.kill(helperPid, 'SIGKILL');
    await waitFor('helper gone', async () => !pidAlive(helperPid), 5000, 20);
    await sleep(300);
    expect(await snapshot()).not.toBe(baseline); // the crash left everything in place
    helperPid = startHelper();
    const t0 = performance.now();
    await waitForHelper(helperPid);
    measured.repairAfterHelperRestartMs = await restoredWithin(t0, 30_000);
    expect(helperLog()).toContain('repairing changes left by a previous helper');
    // The helper drops its state file right after the last undo, a moment after the network looks restored.
    await waitFor('the state file removed', async () => !existsSync(STATE), 2000, 10);
    await c.close();
  });

  it('refuses unauthorized peers: by the socket permissions, and by peer credentials', async () => {
    // not in the group: the directory alone keeps uid 65534 out; the client says why
    const outsider = await run(
      [
        ...asUser(null),
        ...tsArgv(`
import { HelperClient } from ${JSON.stringify(join(ROOT, 'main/helper/client.ts'))};
try { await HelperClient.connect({ socketPath: ${JSON.stringify(SOCK)} }); console.log('CONNECTED'); }
catch (e) { console.log('REFUSED ' + e.code); }
`),
      ],
      { cwd: ROOT },
    );
    expect(outsider.stdout.trim()).toBe('REFUSED unauthorized');

    // permissions loosened by mistake: SO_PEERCRED still refuses, with a typed refusal, and it is logged
    chmodSync(join(DIR, 'run'), 0o755);
    chmodSync(SOCK, 0o666);
    try {
      const raw = await run(
        [
          ...asUser(null),
          'node',
          '-e',
          `const s=require('node:net').createConnection(${JSON.stringify(SOCK)});s.on('data',d=>process.stdout.write(d));s.on('connect',()=>s.write('{"id":1,"type":"status"}\\n'));`,
        ],
        { cwd: ROOT, timeoutMs: 10_000 },
      );
      expect(JSON.parse(raw.stdout.trim())).toEqual({
        id: null,
        ok: false,
        error: { code: 'unauthorized', message: 'this user may not use the helper' },
      });
      expect(helperLog()).toMatch(/connection refused: peer not authorized \{"uid":65534/);
    } finally {
      chmodSync(join(DIR, 'run'), 0o750);
      chmodSync(SOCK, 0o660);
    }

    // a member of the group is served, as itself: it may not create a device for root
    const member = await run(
      [
        ...asUser([GROUP]),
        ...tsArgv(`
import { HelperClient } from ${JSON.stringify(join(ROOT, 'main/helper/client.ts'))};
const c = await HelperClient.connect({ socketPath: ${JSON.stringify(SOCK)} });
const t = await c.createTun();
const e = await c.createTun({ owner: { uid: 0 } }).catch((x) => x.code);
console.log(JSON.stringify({ uid: process.getuid(), name: t.name, forRoot: e }));
await c.close();
`),
      ],
      { cwd: ROOT },
    );
    const out = JSON.parse(member.stdout.trim()) as { uid: number; name: string; forRoot: string };
    expect(out).toMatchObject({ uid: NOBODY, forRoot: 'unauthorized' });
    await waitFor('member session undone', async () => (await snapshot()) === baseline, 5000, 20);
  });

  it('refuses malformed and oversized requests and keeps serving', async () => {
    const got = (await rawExchange(
      [
        'garbage\n',
        Buffer.from([0xff, 0xfe, 0x0a]),
        `{"id":2,"type":"status","args":{"pad":"${'x'.repeat(100_000)}"}}\n`,
        '{"id":3,"type":"exec","args":{"cmd":"sh"}}\n',
        '{"id":4,"type":"addRoutes","args":{"name":"fht-c","cidrs":["0.0.0.0/0"]}}\n',
        '{"id":5,"type":"status"}\n',
      ],
      6,
    )) as { id: unknown; ok: boolean; error?: { code: string } }[];
    expect(got.map((g) => (g.ok ? 'ok' : g.error!.code))).toEqual([
      'malformed',
      'malformed',
      'too-large',
      'malformed',
      'invalid-argument',
      'ok',
    ]);
    const c = await HelperClient.connect({ socketPath: SOCK });
    expect((await c.status()).sessions).toBeGreaterThanOrEqual(1);
    await c.close();
    expect(pidAlive(helperPid)).toBe(true);
  });

  it('an unprivileged owner (uid 65534) attaches to the TUN and answers pings: by owner, and by a passed fd', async () => {
    const c = await HelperClient.connect({ socketPath: SOCK });
    const { name, token } = await c.createTun({ mtu: 1400, owner: { uid: NOBODY } });
    await c.setAddress({ name, address: TUN_LOCAL, peer: TUN_PEER });
    // This host's /dev/net/tun is root-only (mode 0600, unlike Debian's default 0666): a node of our own with
    // the same device number stands in for it; the kernel's owner check (tun_not_capable) is the real one.
    rmSync(TUN_NODE, { force: true });
    await run(['mknod', '-m', '0666', TUN_NODE, 'c', '10', '200']);
    const responder = (attach: string) => `
import { decodeIcmpEcho, encodeIcmpEcho } from ${JSON.stringify(join(ROOT, 'core/net/ipv4.ts'))};
import { openTun, tunFromFd } from ${JSON.stringify(join(ROOT, 'core/tun/index.ts'))};
${attach}
let replies = 0;
tun.onPacket((p) => {
  const echo = decodeIcmpEcho(p);
  if (!echo.ok || echo.value.type !== 'request') return;
  const e = echo.value;
  tun.write(encodeIcmpEcho(e.destination, e.source, { type: 'reply', id: e.id, seq: e.seq, data: e.data }));
  replies++;
});
console.log('READY uid=' + process.getuid());
process.stdin.on('end', async () => { console.log('REPLIES ' + replies); await tun.close(); process.exit(0); });
process.stdin.resume();
`;
    const ping = async () =>
      (await run(['ping', '-c', '3', '-i', '0.2', '-W', '2', TUN_PEER], { netns: NS, check: false })).stdout;

    // 1. attach by owner (TUNSETIFF with the device's name), inside the namespace where the device lives
    const byOwner = await startChild([
      'ip',
      'netns',
      'exec',
      NS,
      ...asUser(null),
      ...tsArgv(
        responder(
          `const tun = openTun(${JSON.stringify(name)}, { devicePath: ${JSON.stringify(TUN_NODE)} });`,
        ),
      ),
    ]);
    expect(byOwner.out()).toContain(`READY uid=${NOBODY}`);
    expect(await ping()).toMatch(/3 packets transmitted, 3 received/);
    byOwner.child.stdin!.end();
    await waitFor('responder exit', async () => byOwner.child.exitCode !== null, 10_000, 20);
    expect(byOwner.out()).toMatch(/REPLIES 3/);

    // another unprivileged user may not attach
    const stranger = await run(
      [
        'ip',
        'netns',
        'exec',
        NS,
        'setpriv',
        '--reuid=65533',
        '--regid=65533',
        '--clear-groups',
        ...tsArgv(`import { openTun } from ${JSON.stringify(join(ROOT, 'core/tun/index.ts'))};
try { openTun(${JSON.stringify(name)}, { devicePath: ${JSON.stringify(TUN_NODE)} }); console.log('ATTACHED'); } catch (e) { console.log('REFUSED ' + e.code); }`),
      ],
      { cwd: ROOT },
    );
    expect(stranger.stdout.trim()).toBe('REFUSED tun-permission');

    // 2. fd passing: the helper opens the device and hands the fd over its socket (any /dev/net/tun mode)
    const byFd = await startChild([
      ...asUser([GROUP]),
      ...tsArgv(
        responder(`import { HelperClient } from ${JSON.stringify(join(ROOT, 'main/helper/client.ts'))};
const helper = await HelperClient.connect({ socketPath: ${JSON.stringify(SOCK)} });
const tun = tunFromFd(${JSON.stringify(name)}, await helper.openTunFd(${JSON.stringify(name)}, ${JSON.stringify(token)}));`),
      ),
    ]);
    expect(await ping()).toMatch(/3 packets transmitted, 3 received/);
    byFd.child.stdin!.end();
    await waitFor('responder exit', async () => byFd.child.exitCode !== null, 10_000, 20);
    expect(byFd.out()).toMatch(/REPLIES 3/);
    await c.close();
    await restoredWithin(performance.now());
    rmSync(TUN_NODE, { force: true });
  });

  it('stdio mode: spawned directly as root, everything undone when the app goes away', async () => {
    const { client: c, child } = await spawnHelperStdio({
      argv: [
        'ip',
        'netns',
        'exec',
        NS,
        'node',
        '--import',
        'tsx',
        HELPER_MAIN,
        '--stdio',
        '--state',
        join(DIR, 'stdio-state.json'),
      ],
    });
    const { name } = await c.createTun({ mtu: 1400 });
    await c.setAddress({ name, address: TUN_LOCAL, peer: TUN_PEER });
    await c.setFullTunnel({ name, server: SERVER });
    await c.setDns({ name, servers: ['10.77.0.53'], searchDomains: [] });
    expect(
      (await c.openTunFd(name, 'a'.repeat(32)).catch((e: unknown) => e)) as { code?: string },
    ).toMatchObject({
      code: 'fd-passing-unavailable',
    });
    expect(await snapshot()).not.toBe(baseline);
    const t0 = performance.now();
    await c.close();
    measured.restoreAfterStdioCloseMs = await restoredWithin(t0);
    await waitFor('stdio helper exit', async () => child.exitCode !== null, 10_000, 20);
  });

  it('leaves the namespace exactly as it found it', async () => {
    expect(await snapshot()).toBe(baseline);
    expect(readFileSync(RESOLV).equals(RESOLV_ORIGINAL)).toBe(true);
  });
});
