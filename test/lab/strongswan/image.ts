/**
 * Builds the strongSwan lab VM image (Debian bookworm minbase) and caches it outside the repo under
 * `<cache>/strongswan-<hash>/`, where the hash covers every recipe input: this file, the shared process
 * helpers it drives, and everything under guest/. An unchanged recipe reuses the cache; the cached files
 * are made read-only and qemu only ever opens them through a throwaway overlay.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pidAlive, run } from '../sys';
import { runLogged, safeRemoveTree, withLock } from './proc';

const HERE = dirname(fileURLToPath(import.meta.url));
const GUEST_DIR = join(HERE, 'guest');

export const CACHE_ROOT = process.env.FERRY_LAB_CACHE ?? '/var/cache/ferry-lab';
const SUITE = 'bookworm';
const MIRROR = 'http://deb.debian.org/debian';

/** Installed into the guest (dependencies resolved by debootstrap; Recommends are not installed). */
export const GUEST_PACKAGES = [
  'linux-image-amd64',
  'systemd',
  'systemd-sysv',
  'udev',
  'kmod',
  'strongswan',
  'strongswan-starter',
  'strongswan-charon',
  'libstrongswan-standard-plugins',
  'xl2tpd',
  'ppp',
  'iproute2',
  'iputils-ping',
  'procps',
  'iperf3',
  'tcpdump',
  'freeradius',
  'freeradius-utils',
] as const;

/** Package versions recorded in the manifest. */
const REPORTED_PACKAGES = ['strongswan-charon', 'xl2tpd', 'ppp', 'iperf3', 'freeradius', 'systemd'];

export interface LabImage {
  readonly hash: string;
  readonly dir: string;
  /** Raw ext4 root filesystem (read-only; use an overlay). */
  readonly rootfs: string;
  /** Uncompressed kernel, booted through its PVH note. */
  readonly vmlinux: string;
  readonly initrd: string;
  readonly kernelVersion: string;
}

interface Manifest {
  readonly hash: string;
  readonly kernelVersion: string;
  readonly builtAt: string;
  readonly buildSeconds: number;
  readonly packages: Record<string, string>;
}

export type ProgressLog = (msg: string) => void;
const defaultLog: ProgressLog = (m) => console.log(`[lab:strongswan] ${m}`);

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out.sort();
}

/** Hash over the recipe: the build code, the guest files (content and mode), the package list. */
export function imageRecipeHash(): string {
  const h = createHash('sha256');
  h.update(`ferry-strongswan-image v1\n${SUITE}\n${MIRROR}\n${GUEST_PACKAGES.join(' ')}\n`);
  const inputs = [join(HERE, 'image.ts'), join(HERE, 'proc.ts'), ...listFiles(GUEST_DIR)];
  for (const f of inputs) {
    h.update(`${relative(HERE, f)}\0${statSync(f).mode & 0o111 ? 'x' : '-'}\0`);
    h.update(readFileSync(f));
    h.update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

function imageAt(dir: string, hash: string): LabImage | null {
  const mf = join(dir, 'manifest.json');
  if (!existsSync(mf)) return null;
  const m = JSON.parse(readFileSync(mf, 'utf8')) as Manifest;
  if (m.hash !== hash) return null;
  const img: LabImage = {
    hash,
    dir,
    rootfs: join(dir, 'rootfs.img'),
    vmlinux: join(dir, 'vmlinux'),
    initrd: join(dir, 'initrd.img'),
    kernelVersion: m.kernelVersion,
  };
  return [img.rootfs, img.vmlinux, img.initrd].every((f) => existsSync(f)) ? img : null;
}

/** The cached image for the current recipe, or null when it has not been built yet. */
export function cachedImage(): LabImage | null {
  const hash = imageRecipeHash();
  return imageAt(join(CACHE_ROOT, `strongswan-${hash}`), hash);
}

/** Finds the compressed payload inside a bzImage and writes the uncompressed ELF vmlinux. */
async function extractVmlinux(vmlinuz: string, out: string, work: string): Promise<void> {
  const buf = readFileSync(vmlinuz);
  const formats: { magic: number[]; ext: string; argv: (f: string) => string[] }[] = [
    {
      magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00],
      ext: 'xz',
      argv: (f) => ['xz', '-dkq', '--single-stream', f],
    },
    { magic: [0x28, 0xb5, 0x2f, 0xfd], ext: 'zst', argv: (f) => ['zstd', '-dqf', f] },
    { magic: [0x1f, 0x8b, 0x08], ext: 'gz', argv: (f) => ['gzip', '-dkq', f] },
  ];
  for (const fmt of formats) {
    let at = buf.indexOf(Buffer.from(fmt.magic));
    while (at >= 0) {
      const packed = join(work, `vmlinux.${fmt.ext}`);
      writeFileSync(packed, buf.subarray(at));
      const unpacked = join(work, 'vmlinux');
      await run(fmt.argv(packed), { check: false, timeoutMs: 120_000 });
      if (existsSync(unpacked)) {
        const head = Buffer.alloc(4);
        const fd = openSync(unpacked, 'r');
        readSync(fd, head, 0, 4, 0);
        closeSync(fd);
        if (head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) {
          renameSync(unpacked, out);
          rmSync(packed, { force: true });
          return;
        }
      }
      rmSync(packed, { force: true });
      at = buf.indexOf(Buffer.from(fmt.magic), at + 1);
    }
  }
  throw new Error(`no compressed ELF kernel found in ${vmlinuz}`);
}

async function duMiB(dir: string): Promise<number> {
  const r = await run(['du', '-sxm', dir], { timeoutMs: 120_000 });
  return Number(r.stdout.split(/\s/)[0]);
}

async function withProc<T>(rootfs: string, fn: () => Promise<T>): Promise<T> {
  const proc = join(rootfs, 'proc');
  await run(['mount', '-t', 'proc', 'ferry-build-proc', proc]);
  try {
    return await fn();
  } finally {
    await run(['umount', proc], { check: false });
  }
}

async function buildInto(work: string, hash: string, log: ProgressLog): Promise<void> {
  const rootfs = join(work, 'rootfs');
  const buildLog = join(work, 'build.log');
  const debs = join(CACHE_ROOT, 'debs');
  mkdirSync(debs, { recursive: true });
  const t0 = Date.now();
  const step = (what: string) => log(`${what} (${((Date.now() - t0) / 1000).toFixed(0)} s; log ${buildLog})`);

  step('debootstrap: first stage (download + unpack)');
  await runLogged(
    [
      'debootstrap',
      '--foreign',
      '--variant=minbase',
      '--merged-usr',
      '--components=main',
      `--include=${GUEST_PACKAGES.join(',')}`,
      `--cache-dir=${debs}`,
      SUITE,
      rootfs,
      MIRROR,
    ],
    buildLog,
    { timeoutMs: 1_200_000 },
  );
  // dpkg without fsync per file: the tree is packed into an image afterwards anyway.
  writeFileSync(join(rootfs, 'etc/dpkg/dpkg.cfg.d/ferry-unsafe-io'), 'force-unsafe-io\n');
  step('debootstrap: second stage (configure packages)');
  await runLogged(['chroot', rootfs, '/debootstrap/debootstrap', '--second-stage'], buildLog, {
    timeoutMs: 1_200_000,
    // INITRD=No: skip the kernel's default initramfs; build.sh makes the small one after configuring.
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C.UTF-8', INITRD: 'No' },
  });

  const kernels = readdirSync(join(rootfs, 'lib/modules')).filter((k) => k.endsWith('-amd64'));
  const kver = kernels.sort().at(-1);
  if (!kver) throw new Error('debootstrap installed no amd64 kernel');

  step(`configure guest (kernel ${kver})`);
  await run(['cp', '-a', '--no-preserve=ownership', `${join(GUEST_DIR, 'rootfs')}/.`, `${rootfs}/`]);
  copyFileSync(join(GUEST_DIR, 'build.sh'), join(rootfs, 'root/ferry-build.sh'));
  const packages: Record<string, string> = {};
  await withProc(rootfs, async () => {
    await runLogged(['chroot', rootfs, '/bin/bash', '/root/ferry-build.sh', kver], buildLog, {
      timeoutMs: 600_000,
      env: { ...process.env, LC_ALL: 'C.UTF-8' },
    });
    // Default output: "<package><TAB><version>" per line.
    const q = await run(['chroot', rootfs, 'dpkg-query', '-W', ...REPORTED_PACKAGES]);
    for (const line of q.stdout.trim().split('\n')) {
      const [name, version] = line.split('\t');
      if (name && version) packages[name] = version;
    }
  });

  step('extract kernel and initramfs');
  await extractVmlinux(join(rootfs, `boot/vmlinuz-${kver}`), join(work, 'vmlinux'), work);
  copyFileSync(join(rootfs, `boot/initrd.img-${kver}`), join(work, 'initrd.img'));
  await run(['rm', '-rf', '--one-file-system', join(rootfs, 'boot'), join(rootfs, 'root/ferry-build.sh')]);
  await run(['rm', '-f', join(rootfs, 'etc/dpkg/dpkg.cfg.d/ferry-unsafe-io')]);
  mkdirSync(join(rootfs, 'boot'));

  step('mkfs.ext4 -d');
  const used = await duMiB(rootfs);
  const sizeMiB = Math.ceil(used * 1.2) + 384;
  const img = join(work, 'rootfs.img');
  closeSync(openSync(img, 'w'));
  truncateSync(img, sizeMiB * 1024 * 1024);
  await runLogged(
    [
      'mkfs.ext4',
      '-q',
      '-F',
      '-L',
      'ferry-root',
      '-m',
      '0',
      '-E',
      'lazy_itable_init=0,lazy_journal_init=0',
      '-d',
      rootfs,
      img,
    ],
    buildLog,
    { timeoutMs: 600_000 },
  );
  await safeRemoveTree(rootfs);
  for (const f of ['rootfs.img', 'vmlinux', 'initrd.img']) chmodSync(join(work, f), 0o444);
  const manifest: Manifest = {
    hash,
    kernelVersion: kver,
    builtAt: new Date().toISOString(),
    buildSeconds: Math.round((Date.now() - t0) / 1000),
    packages,
  };
  writeFileSync(join(work, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  step(`image ready: rootfs ${sizeMiB} MiB (used ${used} MiB), kernel ${kver}`);
}

/** Removes work directories (name captures the owner PID) left behind by builds that died. */
export async function removeAbandoned(parent: string, pattern: RegExp): Promise<void> {
  if (!existsSync(parent)) return;
  for (const e of readdirSync(parent)) {
    const m = pattern.exec(e);
    if (m && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))) await safeRemoveTree(join(parent, e));
  }
}

/**
 * Returns the cached image for the current recipe, building it first when needed (several minutes:
 * debootstrap dominates). Older `strongswan-*` images in the cache are removed after a successful build.
 */
export async function buildImage(opts: { log?: ProgressLog } = {}): Promise<LabImage> {
  const log = opts.log ?? defaultLog;
  const hash = imageRecipeHash();
  const dir = join(CACHE_ROOT, `strongswan-${hash}`);
  const cached = imageAt(dir, hash);
  if (cached) return cached;
  mkdirSync(CACHE_ROOT, { recursive: true });
  // One build at a time on this machine; whoever waited finds the image built by the other.
  return withLock(join(CACHE_ROOT, 'strongswan-build.lock'), () => buildLocked(hash, dir, log), {
    timeoutMs: 1_800_000,
    onWait: (pid) => log(`waiting for the image build running in pid ${pid}`),
  });
}

async function buildLocked(hash: string, dir: string, log: ProgressLog): Promise<LabImage> {
  const done = imageAt(dir, hash);
  if (done) return done;
  await removeAbandoned(CACHE_ROOT, /^\.build-strongswan-[0-9a-f]+-(\d+)$/);
  const work = join(CACHE_ROOT, `.build-strongswan-${hash}-${process.pid}`);
  await safeRemoveTree(work);
  mkdirSync(work);
  log(`building image ${hash} in ${work}`);
  const t0 = Date.now();
  try {
    await buildInto(work, hash, log);
    await safeRemoveTree(dir);
    renameSync(work, dir);
  } catch (e) {
    const kept = join(CACHE_ROOT, `strongswan-build-${hash}.log`);
    if (existsSync(join(work, 'build.log'))) copyFileSync(join(work, 'build.log'), kept);
    log(`image build failed; build log kept at ${kept}`);
    await safeRemoveTree(work);
    throw e;
  }
  for (const e of readdirSync(CACHE_ROOT)) {
    if (/^strongswan-[0-9a-f]{16}$/.test(e) && e !== `strongswan-${hash}`) {
      log(`removing stale image ${e}`);
      await safeRemoveTree(join(CACHE_ROOT, e));
    }
  }
  log(`image built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const img = imageAt(dir, hash);
  if (!img) throw new Error(`image build finished but ${dir} is incomplete`);
  return img;
}
