/**
 * The lab VM under QEMU TCG (KVM is unusable on these hosts): qemu argv, cold boot, save and restore.
 * A saved state is a pair (disk overlay base.qcow2 on the read-only image, RAM/device stream vm.state) taken
 * at the same instant, cached next to the image and keyed by everything it depends on. Every run gets a
 * throwaway overlay on base.qcow2, so neither the image nor the saved state is ever modified.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { killPid, pidAlive, run, spawnDaemon, waitFor } from '../sys';
import { GuestConsole } from './console';
import type { LabImage } from './image';
import { safeRemoveTree } from './proc';
import { Qmp } from './qmp';

export const VM_NAME = 'ferry-strongswan-lab';
export const VM_ADDRESS = '10.202.0.2';
export const VM_PREFIX = 24;
const MEMORY_MIB = 512;
const MAC = '52:54:00:20:20:02';

export interface VmRunFiles {
  /** Where the run's sockets, logs and overlay live (LAB_ROOT/strongswan). */
  readonly dir: string;
  readonly serialLog: string;
  readonly consoleSock: string;
  readonly qmpSock: string;
  readonly qemuLog: string;
  readonly overlay: string;
}

export function runFiles(dir: string): VmRunFiles {
  return {
    dir,
    serialLog: join(dir, 'serial.log'),
    consoleSock: join(dir, 'console.sock'),
    qmpSock: join(dir, 'qmp.sock'),
    qemuLog: join(dir, 'qemu.log'),
    overlay: join(dir, 'disk.qcow2'),
  };
}

const KERNEL_CMDLINE = [
  'console=ttyS0,115200',
  'root=/dev/vda',
  'rw',
  'rootfstype=ext4',
  'fsck.mode=skip',
  'net.ifnames=0',
  'biosdevname=0',
  'loglevel=4',
  'mitigations=off',
  'random.trust_cpu=on',
  'panic=-1',
  'systemd.show_status=false',
  `ferry.addr=${VM_ADDRESS}/${VM_PREFIX}`,
].join(' ');

/** Device and machine options; identical for the cold boot and every restore (migration requires it). */
function machineArgs(img: LabImage, tap: string): string[] {
  return [
    '-name',
    VM_NAME,
    '-machine',
    'pc,accel=tcg',
    '-cpu',
    'max',
    '-smp',
    '1',
    '-m',
    String(MEMORY_MIB),
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-vga',
    'none',
    '-no-reboot',
    '-rtc',
    'base=utc',
    '-kernel',
    img.vmlinux,
    '-initrd',
    img.initrd,
    '-append',
    KERNEL_CMDLINE,
    '-device',
    'vmgenid,guid=auto',
    '-netdev',
    `tap,id=net0,ifname=${tap},script=no,downscript=no`,
    '-device',
    `virtio-net-pci,netdev=net0,mac=${MAC}`,
  ];
}

function runArgs(files: VmRunFiles): string[] {
  return [
    '-drive',
    `file=${files.overlay},if=none,id=disk0,format=qcow2,cache=unsafe,discard=unmap`,
    '-device',
    'virtio-blk-pci,drive=disk0',
    '-chardev',
    `file,id=ser0,path=${files.serialLog}`,
    '-serial',
    'chardev:ser0',
    '-chardev',
    `socket,id=ser1,path=${files.consoleSock},server=on,wait=off`,
    '-serial',
    'chardev:ser1',
    '-qmp',
    `unix:${files.qmpSock},server=on,wait=off`,
  ];
}

let qemuVersionCache: string | null = null;
function qemuVersion(): string {
  qemuVersionCache ??= execFileSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' }).split(
    '\n',
  )[0]!;
  return qemuVersionCache;
}

export interface SavedState {
  readonly dir: string;
  readonly baseOverlay: string;
  readonly stream: string;
}

/** Key of a saved state: image, qemu build, machine arguments and the configuration applied before saving. */
export function stateKey(img: LabImage, tap: string, configBundle: string): string {
  const h = createHash('sha256');
  h.update(`ferry-strongswan-state v1\n${img.hash}\n${qemuVersion()}\n`);
  h.update(statSync('/usr/bin/qemu-system-x86_64').mtimeMs.toString());
  h.update(machineArgs(img, tap).join('\0'));
  h.update(runArgs(runFiles('/RUN')).join('\0'));
  h.update(configBundle);
  return h.digest('hex').slice(0, 16);
}

export function savedStateAt(img: LabImage, key: string): SavedState | null {
  const dir = join(img.dir, `state-${key}`);
  const s = { dir, baseOverlay: join(dir, 'base.qcow2'), stream: join(dir, 'vm.state') };
  return existsSync(join(dir, 'meta.json')) && existsSync(s.baseOverlay) && existsSync(s.stream) ? s : null;
}

/** A running qemu (started by us, inside `netns`). */
export interface RunningVm {
  readonly pid: number;
  readonly files: VmRunFiles;
  readonly qmp: Qmp;
}

/** Accepts only our own qemu: the PID must still run qemu with our VM name (guards against PID reuse). */
export function isOurQemu(pid: number): boolean {
  if (!pidAlive(pid)) return false;
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv[0]?.includes('qemu-system') === true && argv.includes(VM_NAME);
  } catch {
    return false;
  }
}

async function startQemu(
  img: LabImage,
  files: VmRunFiles,
  opts: { netns: string; tap: string; incoming?: string; onPid: (pid: number) => void },
): Promise<RunningVm> {
  for (const f of [files.serialLog, files.consoleSock, files.qmpSock]) rmSync(f, { force: true });
  writeFileSync(files.serialLog, '');
  writeFileSync(files.qemuLog, '');
  const argv = [
    'qemu-system-x86_64',
    ...machineArgs(img, opts.tap),
    ...runArgs(files),
    ...(opts.incoming ? ['-S', '-incoming', opts.incoming] : []),
  ];
  const pid = spawnDaemon(argv, files.qemuLog, { netns: opts.netns });
  opts.onPid(pid);
  try {
    const qmp = await Qmp.connect(files.qmpSock, 30_000);
    return { pid, files, qmp };
  } catch (e) {
    const log = existsSync(files.qemuLog) ? readFileSync(files.qemuLog, 'utf8').slice(-2000) : '';
    await killPid(pid, 2000);
    throw new Error(`qemu did not come up: ${String(e)}\n${log}`);
  }
}

export async function stopQemu(vm: { pid: number; qmp?: Qmp }): Promise<void> {
  if (vm.qmp) {
    await vm.qmp.execute('quit', undefined, 5000).catch(() => undefined);
    vm.qmp.close();
  }
  const deadline = Date.now() + (vm.qmp ? 5000 : 0);
  while (Date.now() < deadline && pidAlive(vm.pid)) await new Promise((r) => setTimeout(r, 50));
  // SIGTERM makes qemu exit at once (the overlay is throwaway); only ever our own qemu.
  if (isOurQemu(vm.pid)) await killPid(vm.pid, 3000);
}

/** `exec:` migration URIs go through /bin/sh: allow only plain absolute paths. */
function shellSafePath(p: string): string {
  if (!/^\/[A-Za-z0-9._/-]+$/.test(p)) throw new Error(`unsafe path for a migration URI: ${p}`);
  return p;
}

async function waitForSerial(file: string, re: RegExp, timeoutMs: number, vmPid: number): Promise<string> {
  return waitFor(
    `${re} in ${file}`,
    async () => {
      if (!pidAlive(vmPid)) throw new Error('qemu exited');
      const m = re.exec(readFileSync(file, 'utf8'));
      return m ? m[0] : null;
    },
    timeoutMs,
    200,
  );
}

/**
 * Cold-boots the image, lets `prepare` configure the guest through its console, then saves RAM and disk
 * at one instant into `<image>/state-<key>/`. Returns timings in ms.
 */
export async function coldBootAndSave(
  img: LabImage,
  key: string,
  files: VmRunFiles,
  opts: {
    netns: string;
    tap: string;
    onPid: (pid: number) => void;
    prepare: (console: GuestConsole) => Promise<void>;
    log: (m: string) => void;
  },
): Promise<{ bootMs: number; prepareMs: number; saveMs: number; state: SavedState }> {
  const tmp = join(img.dir, `.state-${key}-${process.pid}`);
  await safeRemoveTree(tmp);
  mkdirSync(tmp, { recursive: true });
  const base = join(tmp, 'base.qcow2');
  await run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', img.rootfs, base]);
  const bootFiles = { ...files, overlay: base };
  const t0 = Date.now();
  const vm = await startQemu(img, bootFiles, opts);
  try {
    const booted = await waitForSerial(files.serialLog, /FERRY-VM-BOOTED uptime=[\d.]+/, 300_000, vm.pid);
    const bootMs = Date.now() - t0;
    opts.log(`cold boot: ${booted} after ${(bootMs / 1000).toFixed(1)} s`);
    const t1 = Date.now();
    const con = await GuestConsole.connect(files.consoleSock);
    try {
      await opts.prepare(con);
    } finally {
      con.close();
    }
    const prepareMs = Date.now() - t1;
    const t2 = Date.now();
    await vm.qmp.execute('stop');
    const stream = join(tmp, 'vm.state');
    await vm.qmp.execute('migrate', { uri: `exec:cat > ${shellSafePath(stream)}` });
    await waitFor(
      'migration to file',
      async () => {
        const st = await vm.qmp.execute<{ status?: string; 'error-desc'?: string }>('query-migrate');
        if (st.status === 'failed') throw new Error(`migration failed: ${st['error-desc'] ?? ''}`);
        return st.status === 'completed';
      },
      180_000,
      100,
    );
    await stopQemu(vm);
    const saveMs = Date.now() - t2;
    writeFileSync(
      join(tmp, 'meta.json'),
      `${JSON.stringify({ key, qemu: qemuVersion(), savedAt: new Date().toISOString(), bootMs, prepareMs, saveMs }, null, 2)}\n`,
    );
    for (const f of [base, stream]) chmodSync(f, 0o444);
    copyFileSync(files.serialLog, join(tmp, 'coldboot.serial.log'));
    const finalDir = join(img.dir, `state-${key}`);
    await safeRemoveTree(finalDir);
    renameSync(tmp, finalDir);
    // Older states of this image (another qemu build, other defaults) are dead weight.
    for (const e of readdirSync(img.dir)) {
      if (/^state-[0-9a-f]{16}$/.test(e) && e !== `state-${key}`) await safeRemoveTree(join(img.dir, e));
    }
    const state = savedStateAt(img, key);
    if (!state) throw new Error(`saved state ${finalDir} is incomplete`);
    return { bootMs, prepareMs, saveMs, state };
  } catch (e) {
    await stopQemu(vm);
    await safeRemoveTree(tmp);
    throw e;
  }
}

/** Starts a VM from a saved state on a fresh overlay and resumes it. */
export async function restoreVm(
  img: LabImage,
  state: SavedState,
  files: VmRunFiles,
  opts: { netns: string; tap: string; onPid: (pid: number) => void },
): Promise<RunningVm> {
  rmSync(files.overlay, { force: true });
  await run([
    'qemu-img',
    'create',
    '-q',
    '-f',
    'qcow2',
    '-F',
    'qcow2',
    '-b',
    state.baseOverlay,
    files.overlay,
  ]);
  const vm = await startQemu(img, files, { ...opts, incoming: `exec:cat ${shellSafePath(state.stream)}` });
  try {
    await waitFor(
      'incoming migration',
      async () => {
        const st = await vm.qmp.execute<{ status: string }>('query-status');
        if (st.status === 'inmigrate') return false;
        if (st.status === 'paused' || st.status === 'prelaunch' || st.status === 'postmigrate') return true;
        if (st.status === 'running') return true;
        throw new Error(`unexpected VM status after restore: ${st.status}`);
      },
      120_000,
      50,
    );
    await vm.qmp.execute('cont');
    return vm;
  } catch (e) {
    await stopQemu(vm);
    throw e;
  }
}
