/**
 * electron-builder itself packs the app with build/electron-builder.yml (the unpacked Linux "dir" target, the
 * step every installer starts from), on a stand-in Electron binary: only its fuse wire is real (sentinel,
 * version, Electron's default states), since the binary cannot be downloaded here. Proves what a static check
 * cannot: the fuses are flipped in the binary, the asar holds what main.ts loads and nothing else, native
 * modules are unpacked, and resources/helper works with its own runtime where the systemd unit points.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Configuration } from 'app-builder-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELPER_BUNDLE, MAIN_BUNDLE, PRELOAD_BUNDLE, RENDERER_DIR } from '../../../main/app/appFiles';
import { buildApp } from '../../../main/app/build';
import { trayIconFiles } from '../../../main/app/trayModel';
import {
  asar,
  electronBuilder,
  fuses,
  loadBuilderConfig,
  ROOT,
  readRepo,
  unitExecStart,
} from './builderSupport';

const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** Electron's shipped fuse states, in @electron/fuses' V1 order. */
const DEFAULT_WIRE = '10110001';

const work = mkdtempSync(join(tmpdir(), 'ferry-packaging-'));
const project = join(work, 'project');
const electronDist = join(work, 'electron-dist');
const output = join(work, 'out');
afterAll(() => rmSync(work, { recursive: true, force: true }));

let config: Configuration;
let unpacked: string;
let archive: string;

beforeAll(async () => {
  // A project directory whose dist/ is ours: the repository's own dist/ is left alone.
  mkdirSync(project);
  for (const f of ['package.json', 'package-lock.json']) copyFileSync(join(ROOT, f), join(project, f));
  for (const d of ['node_modules', 'build']) symlinkSync(join(ROOT, d), join(project, d));
  // electron-builder skips symlinked directories in `files`: the icons are copied.
  cpSync(join(ROOT, 'assets'), join(project, 'assets'), { recursive: true });
  await buildApp({ outRoot: join(project, 'dist'), helperRuntime: process.execPath });

  mkdirSync(join(electronDist, 'resources'), { recursive: true });
  const binary = Buffer.concat([
    Buffer.from('\x7fELF stand-in for the Electron binary\n'),
    Buffer.from(SENTINEL),
    Buffer.from([1, DEFAULT_WIRE.length]),
    Buffer.from(DEFAULT_WIRE),
    Buffer.alloc(64),
  ]);
  writeFileSync(join(electronDist, 'electron'), binary, { mode: 0o755 });
  writeFileSync(join(electronDist, 'LICENSE'), 'stand-in\n');

  const eb = electronBuilder();
  config = await loadBuilderConfig(project);
  await eb.build({
    projectDir: project,
    targets: eb.Platform.LINUX.createTarget('dir'),
    config: {
      ...config,
      extends: null,
      electronDist,
      // Rebuilding keytar for Electron needs Electron's headers (a download); the modules are N-API anyway.
      npmRebuild: false,
      directories: { ...config.directories, output },
    },
  });
  unpacked = join(output, 'linux-unpacked');
  archive = join(unpacked, 'resources', 'app.asar');
}, 180_000);

describe('the packed app (electron-builder, linux dir target)', () => {
  it('has the fuses flipped in the Electron binary', async () => {
    const f = fuses();
    const exe = join(unpacked, config.executableName!);
    const wire = await f.getCurrentFuseWire(exe);
    const state = (name: string) => wire[f.FuseV1Options[name]!];
    expect(state('RunAsNode')).toBe(f.FuseState.DISABLE);
    expect(state('EnableNodeOptionsEnvironmentVariable')).toBe(f.FuseState.DISABLE);
    expect(state('EnableNodeCliInspectArguments')).toBe(f.FuseState.DISABLE);
    expect(state('EnableEmbeddedAsarIntegrityValidation')).toBe(f.FuseState.ENABLE);
    expect(state('OnlyLoadAppFromAsar')).toBe(f.FuseState.ENABLE);
    expect(state('GrantFileProtocolExtraPrivileges')).toBe(f.FuseState.DISABLE);
    expect(state('EnableCookieEncryption')).toBe(f.FuseState.ENABLE);
  });

  it('packs into the asar what main.ts loads — bundles, renderer, icons, package.json with main — and no sources', () => {
    const files = new Set(
      asar()
        .listPackage(archive)
        .map((p) => p.replace(/\\/g, '/')),
    );
    const pkg = JSON.parse(asar().extractFile(archive, 'package.json').toString('utf8')) as { main: string };
    expect(pkg.main).toBe(MAIN_BUNDLE);
    for (const f of [
      MAIN_BUNDLE,
      PRELOAD_BUNDLE,
      `${RENDERER_DIR}/index.html`,
      `${RENDERER_DIR}/app.js`,
      'assets/png/icon-256.png',
    ])
      expect(files.has(`/${f}`), f).toBe(true);
    for (const platform of ['linux', 'win32', 'darwin'] as const)
      for (const state of ['disconnected', 'connecting', 'connected', 'error'] as const)
        expect(files.has(`/assets/png/${trayIconFiles(state, platform).x1}`)).toBe(true);
    const tops = new Set([...files].map((f) => f.split('/')[1]));
    expect([...tops].sort()).toEqual(['assets', 'dist', 'node_modules', 'package.json']);
    const all = [...files];
    expect(all.filter((f) => /\.map$|\.ts$|^\/(core|main|renderer|test|build)\//.test(f))).toEqual([]);
    expect(all.filter((f) => f.startsWith('/dist/') && !/^\/dist\/(app|renderer)(\/|$)/.test(f))).toEqual([]);
    for (const bundled of [
      'react',
      'react-dom',
      'zod',
      'zustand',
      'des.js',
      'hash-wasm',
      'node-forge',
      '@noble',
    ])
      expect(files.has(`/node_modules/${bundled}`), bundled).toBe(false);
  });

  it('unpacks the native modules (keytar, koffi) next to the asar', () => {
    const u = join(unpacked, 'resources', 'app.asar.unpacked', 'node_modules');
    expect(existsSync(join(u, 'keytar', 'build', 'Release', 'keytar.node'))).toBe(true);
    expect(existsSync(join(u, 'koffi', 'package.json'))).toBe(true);
    expect(existsSync(join(u, '@koromix', `koffi-${process.platform}-${process.arch}`))).toBe(true);
  });

  it('puts the helper, its koffi and its runtime where the systemd unit runs them, and they work', () => {
    const [exe, script] = unitExecStart(readRepo('build/linux/ferry-helper.service'));
    const installed = (p: string) => join(unpacked, p.replace(`/opt/${config.productName}/`, ''));
    expect(existsSync(installed(exe!))).toBe(true);
    expect(installed(script!)).toBe(join(unpacked, 'resources', 'helper', HELPER_BUNDLE.split('/').pop()!));
    expect(existsSync(join(unpacked, 'resources', 'helper', 'ferry-helper.service'))).toBe(true);
    const run = spawnSync(
      installed(exe!),
      [installed(script!), '--stdio', '--state', join(work, 'state', 'state.json')],
      {
        input: `${JSON.stringify({ id: 'x', type: 'status', args: {} })}\n`,
        encoding: 'utf8',
        timeout: 30_000,
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
      },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout.trim())).toMatchObject({ id: 'x', ok: true, result: { version: 1 } });
  });
});
