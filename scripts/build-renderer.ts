/**
 * Bundles the renderer (renderer/main.tsx) into dist/renderer/: index.html, app.js, app.css, icon.svg.
 * The renderer is sandboxed with no Node: the build fails if anything in the bundle imports a Node built-in, or
 * imports from core/ anything but the pure modules listed below (type-only imports are erased and always fine).
 *
 *   npx tsx scripts/build-renderer.ts            production build, prints the bundle size
 *   npx tsx scripts/build-renderer.ts --dev      unminified, with source maps
 *   npx tsx scripts/build-renderer.ts --icons    also renders assets/*.svg to assets/png/ (app icon, tray icons;
 *                                                Electron's tray cannot load SVG) with Debian's Chromium
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Metafile, type Plugin } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const RENDERER_OUT = join(ROOT, 'dist', 'renderer');

/** core/ modules the renderer may bundle: pure code, no Node APIs (Buffer, crypto, dgram…). */
const CORE_ALLOWED = new Set([
  'core/profile/schema.ts',
  'core/profile/algorithms.ts',
  'core/common/result.ts',
  'core/common/errors.ts',
]);

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/**
 * `import { z } from 'zod'` binds zod's namespace as a value, which no bundler can tree-shake (every locale and the
 * JSON-schema code come along: ~450 KiB). The same namespace imported with `import * as` from the module that
 * defines it is shaken to what the schemas use. Same objects, same behaviour; only the renderer build does this.
 */
const ZOD_CLASSIC = join(ROOT, 'node_modules', 'zod', 'v4', 'classic', 'external.js');
const ZOD_NAMED_IMPORT = /^import\s*\{\s*z\s*\}\s*from\s*['"]zod['"];?/m;
const zodShakeable = existsSync(ZOD_CLASSIC);

function shakeableZod(source: string): string {
  return zodShakeable
    ? source.replace(ZOD_NAMED_IMPORT, `import * as z from ${JSON.stringify(ZOD_CLASSIC)};`)
    : source;
}

/** Refuses Node built-ins and non-pure core modules at resolve time, naming the importer. */
export const rendererGuard: Plugin = {
  name: 'renderer-guard',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      const bare = args.path.split('/')[0]!;
      if (args.path.startsWith('node:') || NODE_BUILTINS.has(args.path) || NODE_BUILTINS.has(bare)) {
        return {
          errors: [
            { text: `the renderer must not import the Node module "${args.path}" (from ${args.importer})` },
          ],
        };
      }
      return undefined;
    });
    b.onLoad({ filter: /\.tsx?$/ }, async (args) => {
      if (args.path.includes('/node_modules/')) return undefined;
      const rel = relative(ROOT, args.path).split('\\').join('/');
      if (rel.startsWith('core/') && !CORE_ALLOWED.has(rel)) {
        return {
          errors: [
            {
              text: `the renderer bundles ${rel}, which is not on the pure-module list; import its types with "import type"`,
            },
          ],
        };
      }
      const source = await readFile(args.path, 'utf8');
      return { contents: shakeableZod(source), loader: args.path.endsWith('.tsx') ? 'tsx' : 'ts' };
    });
  },
};

export interface BundleReport {
  readonly outDir: string;
  readonly files: ReadonlyArray<{
    readonly name: string;
    readonly bytes: number;
    readonly gzipBytes: number;
  }>;
  readonly totalBytes: number;
  readonly totalGzipBytes: number;
  /** Largest contributors to app.js, by package or folder. */
  readonly topInputs: ReadonlyArray<{ readonly name: string; readonly bytes: number }>;
  /** Every source file with code in the bundle (after tree shaking), relative to the repository. */
  readonly inputs: readonly string[];
}

function groupInputs(meta: Metafile): { name: string; bytes: number }[] {
  const groups = new Map<string, number>();
  for (const out of Object.values(meta.outputs)) {
    for (const [path, info] of Object.entries(out.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
      const name = m ? m[1]! : path.split('/').slice(0, 2).join('/');
      groups.set(name, (groups.get(name) ?? 0) + info.bytesInOutput);
    }
  }
  return [...groups.entries()]
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 8);
}

function bundledInputs(meta: Metafile): string[] {
  const used = new Set<string>();
  for (const out of Object.values(meta.outputs))
    for (const [path, info] of Object.entries(out.inputs))
      if (info.bytesInOutput > 0) used.add(relative(ROOT, resolve(ROOT, path)).split('\\').join('/'));
  return [...used].sort();
}

export async function buildRenderer(opts: { dev?: boolean; outDir?: string } = {}): Promise<BundleReport> {
  const outDir = opts.outDir ?? RENDERER_OUT;
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { app: join(ROOT, 'renderer', 'main.tsx') },
    outdir: outDir,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    // Electron 45's Chromium and Debian's Chromium used by the browser tests.
    target: ['chrome130'],
    jsx: 'automatic',
    minify: !opts.dev,
    sourcemap: opts.dev ? 'linked' : false,
    legalComments: 'none',
    define: { 'process.env.NODE_ENV': JSON.stringify(opts.dev ? 'development' : 'production') },
    metafile: true,
    logLevel: 'warning',
    plugins: [rendererGuard],
  });
  await copyFile(join(ROOT, 'renderer', 'index.html'), join(outDir, 'index.html'));
  await copyFile(join(ROOT, 'assets', 'icon.svg'), join(outDir, 'icon.svg'));

  const files = [];
  for (const name of ['app.js', 'app.css', 'index.html', 'icon.svg']) {
    const data = await readFile(join(outDir, name));
    files.push({ name, bytes: data.length, gzipBytes: gzipSync(data, { level: 9 }).length });
  }
  const report: BundleReport = {
    outDir,
    files,
    totalBytes: files.reduce((n, f) => n + f.bytes, 0),
    totalGzipBytes: files.reduce((n, f) => n + f.gzipBytes, 0),
    topInputs: groupInputs(result.metafile),
    inputs: bundledInputs(result.metafile),
  };
  await writeFile(join(outDir, '..', 'renderer-bundle.json'), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

/** PNG sizes per SVG: the app icon for electron-builder, tray icons at 1x/2x (macOS, Windows) and 22 px (Linux). */
const ICON_SIZES: Readonly<Record<string, readonly number[]>> = {
  icon: [16, 32, 64, 128, 256, 512, 1024],
  'tray-disconnected': [16, 22, 32, 44],
  'tray-connecting': [16, 22, 32, 44],
  'tray-connected': [16, 22, 32, 44],
  'tray-error': [16, 22, 32, 44],
};

export async function renderIcons(
  chromiumPath = process.env.FERRY_CHROMIUM ?? '/usr/bin/chromium',
): Promise<string[]> {
  const { chromium } = await import('playwright-core');
  const outDir = join(ROOT, 'assets', 'png');
  await mkdir(outDir, { recursive: true });
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox'],
  });
  const written: string[] = [];
  try {
    const page = await browser.newPage({ deviceScaleFactor: 1 });
    for (const [name, sizes] of Object.entries(ICON_SIZES)) {
      const svg = await readFile(join(ROOT, 'assets', `${name}.svg`));
      const src = `data:image/svg+xml;base64,${svg.toString('base64')}`;
      for (const size of sizes) {
        await page.setViewportSize({ width: size, height: size });
        await page.setContent(
          `<html><body style="margin:0;background:transparent"><img src="${src}" width="${size}" height="${size}"></body></html>`,
        );
        await page.locator('img').evaluate((img) => (img as HTMLImageElement).decode());
        const file = join(outDir, `${name}-${size}.png`);
        await page.screenshot({
          path: file,
          omitBackground: true,
          clip: { x: 0, y: 0, width: size, height: size },
        });
        written.push(relative(ROOT, file));
      }
    }
  } finally {
    await browser.close();
  }
  return written;
}

const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const report = await buildRenderer({ dev: process.argv.includes('--dev') });
  console.log(`renderer → ${relative(ROOT, report.outDir)}`);
  for (const f of report.files)
    console.log(`  ${f.name.padEnd(11)} ${kib(f.bytes).padStart(10)}  gzip ${kib(f.gzipBytes)}`);
  console.log(
    `  ${'total'.padEnd(11)} ${kib(report.totalBytes).padStart(10)}  gzip ${kib(report.totalGzipBytes)}`,
  );
  console.log(`  largest inputs: ${report.topInputs.map((i) => `${i.name} ${kib(i.bytes)}`).join(', ')}`);
  if (process.argv.includes('--icons')) console.log(`icons → ${(await renderIcons()).join(', ')}`);
}
