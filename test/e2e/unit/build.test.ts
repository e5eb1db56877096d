import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { type BundleReport, buildRenderer, rendererGuard } from '../../../scripts/build-renderer';

const dir = mkdtempSync(join(tmpdir(), 'ferry-renderer-build-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tryBundle = async (contents: string): Promise<string> => {
  try {
    await build({
      stdin: { contents, resolveDir: join(import.meta.dirname, '../../../renderer'), loader: 'ts' },
      bundle: true,
      write: false,
      logLevel: 'silent',
      plugins: [rendererGuard],
    });
    return 'built';
  } catch (e) {
    return (e as Error).message;
  }
};

describe('renderer build', () => {
  let report: BundleReport;

  it('bundles index.html, app.js and app.css with a strict CSP and no inline script', async () => {
    report = await buildRenderer({ outDir: join(dir, 'renderer') });
    expect(report.files.map((f) => f.name)).toEqual(['app.js', 'app.css', 'index.html', 'icon.svg']);
    const html = readFileSync(join(dir, 'renderer', 'index.html'), 'utf8');
    expect(html).toMatch(/http-equiv="Content-Security-Policy"[\s\S]*script-src 'self';/);
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\son\w+=/);
    expect(html).not.toMatch(/\sstyle=/);
    const js = readFileSync(join(dir, 'renderer', 'app.js'), 'utf8');
    expect(js).not.toMatch(/\brequire\(["']/);
    expect(js).not.toContain('new Function(');
  });

  it('bundles only pure core modules (no Node) and no zod locale but English', () => {
    const pure = [
      'core/common/errors.ts',
      'core/common/result.ts',
      'core/profile/algorithms.ts',
      'core/profile/schema.ts',
    ];
    const core = report.inputs.filter((p) => p.startsWith('core/'));
    expect(core).toContain('core/profile/schema.ts');
    for (const p of core) expect(pure).toContain(p);
    expect(report.inputs.filter((p) => p.includes('zod/v4/locales/') && !p.endsWith('/en.js'))).toEqual([]);
  });

  it('refuses Node built-ins and impure core modules', async () => {
    expect(
      await tryBundle("import { randomBytes } from 'node:crypto'; console.log(randomBytes(1));"),
    ).toContain('the renderer must not import the Node module "node:crypto"');
    expect(await tryBundle("import fs from 'fs'; console.log(fs);")).toContain('Node module "fs"');
    expect(
      await tryBundle("import { createLogger } from '../core/common/log'; console.log(createLogger);"),
    ).toContain('the renderer bundles core/common/log.ts');
    expect(
      await tryBundle("import type { LogEntry } from '../core/common/log'; export const x: LogEntry[] = [];"),
    ).toBe('built');
  });
});
