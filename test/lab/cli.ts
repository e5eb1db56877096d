/**
 * `npm run lab -- up|down|status [name] [options]` for every lab server in the registry.
 *
 *   up [name]      bring the lab(s) up, print addresses, PSK, users and timings, then stay in the foreground
 *                  until Ctrl-C / SIGTERM, which brings them down again. `--detach` returns and leaves them running.
 *   down [name]    stop the lab(s) and remove their namespaces and links (also cleans up after a crash).
 *   status [name]  whether each lab runs.
 *
 * Other `--some-option value` / `--some-flag` arguments become up() options ({ someOption: 'value' },
 * { someFlag: true }), e.g. `--psk secret`, `--l2tp-raw`, `--client-netns ns1`. Labs ignore options they lack.
 */
import { performance } from 'node:perf_hooks';
import { acquireLabLock, releaseLabLock } from './lock';
import { labs } from './registry';
import type { LabInfo, LabServer } from './types';

const USAGE = `usage: npm run lab -- up|down|status [name] [--detach] [--option value ...]
labs: ${labs.map((l) => l.name).join(', ') || '(none registered)'}`;

interface Args {
  readonly command: 'up' | 'down' | 'status';
  readonly name: string | null;
  readonly detach: boolean;
  readonly options: Record<string, string | boolean>;
}

const camel = (s: string) => s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function parseArgs(argv: readonly string[]): Args {
  const [command, ...rest] = argv;
  if (command !== 'up' && command !== 'down' && command !== 'status') throw new Error(USAGE);
  let name: string | null = null;
  let detach = false;
  const options: Record<string, string | boolean> = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--detach') detach = true;
    else if (a === '-h' || a === '--help') throw new Error(USAGE);
    else if (a.startsWith('--')) {
      const [key, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
      const next = rest[i + 1];
      if (inline !== undefined) options[camel(key)] = inline;
      else if (next !== undefined && !next.startsWith('--')) {
        options[camel(key)] = next;
        i++;
      } else options[camel(key)] = true;
    } else if (name === null) name = a;
    else throw new Error(USAGE);
  }
  return { command, name, detach, options };
}

function selectLabs(name: string | null): LabServer[] {
  if (name === null) return [...labs];
  const lab = labs.find((l) => l.name === name);
  if (!lab) throw new Error(`no lab named "${name}"\n${USAGE}`);
  return [lab];
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Lab-specific extras (hub, pool, timings, …) as indented "key: value" lines. */
function formatExtra(value: unknown, indent: string): string[] {
  if (value === null || typeof value !== 'object') return [`${String(value)}`];
  return Object.entries(value).map(([k, v]) =>
    v !== null && typeof v === 'object'
      ? `${indent}${k}: ${Object.entries(v)
          .map(([k2, v2]) => `${k2}=${String(v2)}`)
          .join(' ')}`
      : `${indent}${k}: ${String(v)}`,
  );
}

function printInfo(lab: LabServer, info: LabInfo, ms: number): void {
  const { serverAddress, clientAddress, clientNetns, psk, users, tunnelPeerAddress, ...extra } = info;
  console.log(`\n${lab.name}: up in ${secs(ms)}`);
  console.log(`  server address   ${serverAddress} (IKE on UDP 500/4500)`);
  console.log(
    `  client address   ${clientAddress} (${clientNetns ? `netns ${clientNetns}` : 'root namespace'})`,
  );
  console.log(`  PSK              ${psk}`);
  console.log(`  users            ${users.map((u) => `${u.username} / ${u.password}`).join(', ')}`);
  console.log(`  tunnel peer      ${tunnelPeerAddress} (answers ping inside the tunnel)`);
  for (const line of formatExtra(extra, '  ')) console.log(line);
}

async function downAll(selected: readonly LabServer[]): Promise<boolean> {
  let ok = true;
  for (const lab of selected) {
    const t0 = performance.now();
    try {
      await lab.down();
      console.log(`${lab.name}: down in ${secs(performance.now() - t0)}`);
    } catch (e) {
      ok = false;
      console.error(`${lab.name}: down failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return ok;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('the lab needs root (network namespaces, veth)');
  const selected = selectLabs(args.name);

  if (args.command === 'status') {
    for (const lab of selected) {
      const s = await lab.status();
      console.log(`${lab.name}: ${s.running ? 'running' : 'stopped'} — ${s.detail}`);
    }
    return 0;
  }
  // Servers have fixed names: wait for any interop run (or another `lab up`) to finish first.
  await acquireLabLock();
  if (args.command === 'down') return (await downAll(selected)) ? 0 : 1;

  // up: a signal while labs come up, or while we wait in the foreground, brings them down again.
  let stopRequested = false;
  let wake: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    wake = resolve;
  });
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopRequested) {
      console.error(`\n${sig}: already stopping, please wait for the clean-up`);
      return;
    }
    stopRequested = true;
    console.error(`\n${sig}: bringing the lab down`);
    wake();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const started: LabServer[] = [];
  try {
    for (const lab of selected) {
      if (stopRequested) break;
      started.push(lab);
      const t0 = performance.now();
      const info = await lab.up(args.options);
      printInfo(lab, info, performance.now() - t0);
    }
  } catch (e) {
    console.error(`up failed: ${e instanceof Error ? e.message : String(e)}`);
    await downAll(started);
    return 1;
  }
  if (stopRequested) return (await downAll(started)) ? 130 : 1;
  if (args.detach) {
    console.log('\nleft running; stop with: npm run lab -- down');
    return 0;
  }
  console.log('\nrunning; press Ctrl-C (or send SIGTERM) to bring it down');
  // A pending promise alone does not keep Node running.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  await stopped;
  clearInterval(keepAlive);
  return (await downAll(started)) ? 0 : 1;
}

main().then(
  (code) => {
    releaseLabLock();
    process.exit(code);
  },
  (e: unknown) => {
    releaseLabLock();
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(2);
  },
);
