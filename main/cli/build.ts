/**
 * Bundles the CLI (`dist/cli/ferry.mjs` plus chunks) so `ferry` starts without a TypeScript loader:
 * `npx tsx main/cli/build.ts`. Code splitting keeps the commands' dynamic imports lazy, so `ferry --version`
 * parses only the argument parser. Native modules (koffi, keytar) stay external and load from node_modules.
 */
import { chmodSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outdir = join(root, 'dist', 'cli');
const outfile = join(outdir, 'ferry.mjs');

const result = await build({
  entryPoints: { ferry: join(root, 'main', 'cli', 'main.ts') },
  outdir,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['koffi', 'keytar'],
  // CommonJS dependencies (des.js, …) call require(); give the ES module bundle one.
  banner: {
    js: "import { createRequire as __ferryCreateRequire } from 'node:module';\nconst require = __ferryCreateRequire(import.meta.url);",
  },
  minifySyntax: true,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});
chmodSync(outfile, 0o755);
const outputs = Object.entries(result.metafile.outputs);
const total = outputs.reduce((n, [, o]) => n + o.bytes, 0);
console.log(
  `${outfile}: ${(statSync(outfile).size / 1024).toFixed(0)} KiB entry, ${outputs.length} files, ${(total / 1024).toFixed(0)} KiB in all, from ${Object.keys(result.metafile.inputs).length} modules`,
);
