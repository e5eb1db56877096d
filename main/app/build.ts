/**
 * Builds what Electron and electron-builder load (nothing here needs the Electron binary):
 *   dist/app/main.mjs        the main process (ES module; electron, keytar, koffi external)
 *   dist/app/preload.cjs     the sandboxed preload (CommonJS, requires only "electron"; core/api/ipc is replaced
 *                            by its names, so zod and the schemas stay out)
 *   dist/renderer/           the UI (scripts/build-renderer.ts)
 *   dist/helper/             the privileged helper bundle with its koffi native module, and with
 *                            --helper-runtime[=PATH] the Node binary that runs it in installed services (default:
 *                            the Node running this build — installers are built on their own OS and arch)
 *
 *   npx tsx main/app/build.ts [--dev] [--no-renderer] [--helper-runtime[=PATH]]
 */
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';
import { IPC_EVENTS, IPC_METHODS, ipcChannel } from '../../core/api/ipc';
import { buildRenderer } from '../../scripts/build-renderer';
import { APP_OUT_DIR, HELPER_OUT_DIR } from './appFiles';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const IPC_MODULE = join(ROOT, 'core', 'api', 'ipc.ts');
/** Electron 45 runs Node 22 in the main process and Chromium 140 in the renderer. */
const MAIN_TARGET = 'node22';
const PRELOAD_TARGET = 'chrome130';
const NATIVE_EXTERNALS = ['keytar', 'koffi'];

/** ES module bundles still contain CommonJS dependencies that call require(); give them one. */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __ferryCreateRequire } from 'node:module';\nconst require = __ferryCreateRequire(import.meta.url);";

/** The IPC names module the preload gets instead of core/api/ipc.ts: generated from the real schema. */
export function ipcNamesModule(): string {
  const channels = Object.fromEntries([...IPC_METHODS, ...IPC_EVENTS].map((n) => [n, ipcChannel(n)]));
  return [
    `export const IPC_METHODS = Object.freeze(${JSON.stringify(IPC_METHODS)});`,
    `export const IPC_EVENTS = Object.freeze(${JSON.stringify(IPC_EVENTS)});`,
    `const CHANNELS = Object.freeze(${JSON.stringify(channels)});`,
    'export const ipcChannel = (name) => CHANNELS[name];',
  ].join('\n');
}

const ipcNamesOnly: Plugin = {
  name: 'ferry-ipc-names',
  setup(b) {
    b.onLoad({ filter: /[\\/]core[\\/]api[\\/]ipc\.ts$/ }, (args) =>
      resolve(args.path) === IPC_MODULE ? { contents: ipcNamesModule(), loader: 'js' } : undefined,
    );
  },
};

export interface BuildAppOptions {
  /** Output root (default: the repository's dist/); the layout below it is always the same. */
  readonly outRoot?: string;
  readonly dev?: boolean;
  readonly renderer?: boolean;
  /** Copy this Node binary into the helper directory (for installed helper services). */
  readonly helperRuntime?: string | null;
}

export interface BuildAppReport {
  readonly files: readonly { readonly path: string; readonly bytes: number }[];
  /** Every module the preload requires at run time (must be exactly ["electron"]). */
  readonly preloadRequires: readonly string[];
  /** Every package the main bundle loads at run time besides Node's built-ins. */
  readonly mainRequires: readonly string[];
}

const externalsOf = (meta: Metafile | undefined, keep: (path: string) => boolean = () => true): string[] =>
  [
    ...new Set(
      Object.values(meta?.outputs ?? {}).flatMap((out) =>
        out.imports.filter((i) => i.external && keep(i.path)).map((i) => i.path),
      ),
    ),
  ].sort();

function copyPackage(name: string, into: string): void {
  const from = join(ROOT, 'node_modules', name);
  if (!existsSync(from)) throw new Error(`${name} is not installed (npm ci)`);
  cpSync(from, join(into, 'node_modules', name), { recursive: true, dereference: true });
}

export async function buildApp(o: BuildAppOptions = {}): Promise<BuildAppReport> {
  const outRoot = o.outRoot ?? join(ROOT, 'dist');
  const appDir = join(outRoot, relative('dist', APP_OUT_DIR));
  const helperDir = join(outRoot, relative('dist', HELPER_OUT_DIR));
  rmSync(appDir, { recursive: true, force: true });
  rmSync(helperDir, { recursive: true, force: true });
  const common = {
    absWorkingDir: ROOT,
    bundle: true,
    minifySyntax: !o.dev,
    sourcemap: o.dev ? ('linked' as const) : false,
    legalComments: 'none' as const,
    logLevel: 'warning' as const,
    metafile: true,
  };

  const main = await build({
    ...common,
    entryPoints: { main: join(ROOT, 'main', 'app', 'main.ts') },
    outdir: appDir,
    outExtension: { '.js': '.mjs' },
    platform: 'node',
    format: 'esm',
    target: MAIN_TARGET,
    external: ['electron', ...NATIVE_EXTERNALS],
    banner: { js: ESM_REQUIRE_BANNER },
  });

  const preload = await build({
    ...common,
    entryPoints: { preload: join(ROOT, 'main', 'preload', 'index.ts') },
    outdir: appDir,
    outExtension: { '.js': '.cjs' },
    // Sandboxed preloads have no Node: refuse built-ins at bundle time; only "electron" is provided.
    platform: 'browser',
    format: 'cjs',
    target: PRELOAD_TARGET,
    external: ['electron'],
    plugins: [ipcNamesOnly],
  });
  const preloadRequires = externalsOf(preload.metafile);
  const mainRequires = externalsOf(
    main.metafile,
    (p) => !p.startsWith('node:') && !builtinModules.includes(p),
  );

  await build({
    ...common,
    entryPoints: { 'ferry-helper': join(ROOT, 'main', 'helper', 'main.ts') },
    outdir: helperDir,
    outExtension: { '.js': '.mjs' },
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['koffi'],
    banner: { js: ESM_REQUIRE_BANNER },
  });
  copyPackage('koffi', helperDir);
  const koffiNative = `@koromix/koffi-${process.platform}-${process.arch}`;
  if (existsSync(join(ROOT, 'node_modules', koffiNative))) copyPackage(koffiNative, helperDir);
  if (o.helperRuntime) {
    const runtimeDir = join(helperDir, 'runtime');
    mkdirSync(runtimeDir, { recursive: true });
    const target = join(runtimeDir, process.platform === 'win32' ? 'node.exe' : 'node');
    copyFileSync(o.helperRuntime, target);
    chmodSync(target, 0o755);
  }

  if (o.renderer !== false) await buildRenderer({ dev: o.dev ?? false, outDir: join(outRoot, 'renderer') });

  const files = [
    join(appDir, 'main.mjs'),
    join(appDir, 'preload.cjs'),
    join(helperDir, 'ferry-helper.mjs'),
  ].map((path) => ({ path, bytes: statSync(path).size }));
  return { files, preloadRequires, mainRequires };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const runtimeArg = args.find((a) => a === '--helper-runtime' || a.startsWith('--helper-runtime='));
  const report = await buildApp({
    dev: args.includes('--dev'),
    renderer: !args.includes('--no-renderer'),
    helperRuntime: runtimeArg ? runtimeArg.split('=')[1] || process.execPath : null,
  });
  for (const f of report.files)
    process.stdout.write(
      `${relative(ROOT, f.path).padEnd(28)} ${(f.bytes / 1024).toFixed(0).padStart(6)} KiB\n`,
    );
  if (report.preloadRequires.join() !== 'electron')
    throw new Error(
      `the preload requires ${report.preloadRequires.join(', ')}; only "electron" exists there`,
    );
}
