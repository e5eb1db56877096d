/**
 * main/app/build.ts produces what Electron and electron-builder load, without the Electron binary: a main bundle
 * that parses as an ES module and loads only electron and the two native modules; the renderer; and a helper
 * directory that works on its own — moved away from the repository, the bundle finds its koffi and answers a
 * request over stdio (exactly how the installed service's files are laid out).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APP_OUT_DIR,
  HELPER_BUNDLE,
  MAIN_BUNDLE,
  PRELOAD_BUNDLE,
  RENDERER_DIR,
} from '../../../main/app/appFiles';
import { type BuildAppReport, buildApp } from '../../../main/app/build';

const out = mkdtempSync(join(tmpdir(), 'ferry-app-build-'));
const elsewhere = mkdtempSync(join(tmpdir(), 'ferry-helper-moved-'));
afterAll(() => {
  rmSync(out, { recursive: true, force: true });
  rmSync(elsewhere, { recursive: true, force: true });
});
const inOut = (repoPath: string) => join(out, repoPath.replace(/^dist\//, ''));

describe('buildApp', () => {
  let report: BuildAppReport;
  beforeAll(async () => {
    report = await buildApp({ outRoot: out, helperRuntime: process.execPath });
  }, 120_000);

  it('writes the main and preload bundles, the renderer and the helper where appFiles says', () => {
    expect(APP_OUT_DIR).toBe('dist/app');
    for (const p of [
      MAIN_BUNDLE,
      PRELOAD_BUNDLE,
      HELPER_BUNDLE,
      `${RENDERER_DIR}/index.html`,
      `${RENDERER_DIR}/app.js`,
    ])
      expect(existsSync(inOut(p)), p).toBe(true);
    expect(report.files.map((f) => f.path)).toEqual([
      inOut(MAIN_BUNDLE),
      inOut(PRELOAD_BUNDLE),
      inOut(HELPER_BUNDLE),
    ]);
  });

  it('the main bundle is a valid ES module loading only electron, keytar and koffi at run time', () => {
    // electron and keytar are imports; koffi is required on first use (core/tun), from the app's node_modules.
    expect(report.mainRequires).toEqual(['electron', 'keytar']);
    const check = spawnSync(process.execPath, ['--check', inOut(MAIN_BUNDLE)], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
    const main = readFileSync(inOut(MAIN_BUNDLE), 'utf8');
    expect(main).toContain('registerSchemesAsPrivileged');
    const required = new Set(
      [...main.matchAll(/(?:\brequire\d*|createRequire\d*\(import\.meta\.url\))\("([^"]+)"\)/g)].map(
        (m) => m[1]!,
      ),
    );
    expect([...required].filter((r) => !r.startsWith('node:') && !builtinModules.includes(r))).toEqual([
      'koffi',
    ]);
    expect(main).not.toMatch(/nodeIntegration:\s*!0|contextIsolation:\s*!1|sandbox:\s*!1/);
  });

  it('the helper directory runs on its own, away from the repository’s node_modules', () => {
    cpSync(join(out, 'helper'), join(elsewhere, 'helper'), { recursive: true });
    const runtime = join(elsewhere, 'helper', 'runtime', process.platform === 'win32' ? 'node.exe' : 'node');
    expect(statSync(runtime).mode & 0o111).not.toBe(0);
    const run = spawnSync(
      runtime,
      [
        join(elsewhere, 'helper', 'ferry-helper.mjs'),
        '--stdio',
        '--state',
        join(elsewhere, 'state', 'state.json'),
      ],
      {
        cwd: elsewhere,
        input: `${JSON.stringify({ id: 1, type: 'hello', args: { version: 1 } })}\n`,
        encoding: 'utf8',
        timeout: 30_000,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout.trim())).toEqual({
      id: 1,
      ok: true,
      result: { version: 1, platform: process.platform, uid: null },
    });
    // The backend loaded koffi from the moved directory (a missing module would fail the start).
    expect(run.stderr).toContain('helper serving on stdio');
  });
});
