/**
 * electron-builder's own machinery for the build tests: its config loader (the one the CLI uses, YAML and
 * `extends` included), its schema validation (scheme.json through ajv), and electron-builder itself for packing
 * the unpacked app. Plus readers for the helper's service definitions in build/.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type { Configuration } from 'app-builder-lib';

export const ROOT = resolve(import.meta.dirname, '../../..');
export const CONFIG_FILE = 'build/electron-builder.yml';

const require = createRequire(join(ROOT, 'package.json'));

interface ConfigModule {
  getConfig(
    projectDir: string,
    configPath: string | null,
    configFromOptions: unknown,
  ): Promise<Configuration>;
  validateConfiguration(config: Configuration, debugLogger: unknown): Promise<void>;
}
const configModule = (): ConfigModule => require('app-builder-lib/out/util/config/config') as ConfigModule;
const debugLogger = () => {
  const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
  return new DebugLogger(false);
};

/** The configuration exactly as `electron-builder --config build/electron-builder.yml` reads it. */
export function loadBuilderConfig(projectDir = ROOT): Promise<Configuration> {
  return configModule().getConfig(projectDir, CONFIG_FILE, null);
}

/** Rejects with electron-builder's message when `config` does not match its schema. */
export function validateBuilderConfig(config: Configuration): Promise<void> {
  return configModule().validateConfiguration(config, debugLogger());
}

export interface ElectronBuilder {
  build(options: {
    projectDir: string;
    targets: Map<unknown, unknown>;
    config: Configuration;
  }): Promise<string[]>;
  Platform: { LINUX: { createTarget(type: string): Map<unknown, unknown> } };
}
export const electronBuilder = (): ElectronBuilder => require('electron-builder') as ElectronBuilder;

export interface FuseWire {
  readonly version: string;
  readonly [index: number]: number;
}
export const fuses = () => ({
  ...(require('@electron/fuses') as {
    getCurrentFuseWire(path: string): Promise<FuseWire>;
    FuseV1Options: Record<string, number>;
  }),
  ...(require('@electron/fuses/dist/constants') as { FuseState: { DISABLE: number; ENABLE: number } }),
});
export const asar = () =>
  require('@electron/asar') as {
    listPackage(archive: string, options?: unknown): string[];
    extractFile(archive: string, file: string): Buffer;
  };
export const parsePlist = (text: string): unknown =>
  (require('plist') as { parse(t: string): unknown }).parse(text);

/** Splits a command line on spaces, honouring double quotes (systemd ExecStart, sc.exe binPath). */
export function splitCommandLine(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|(\S+)/g)) out.push(m[1] ?? m[2]!);
  return out;
}

/** ExecStart of the systemd unit, split. */
export function unitExecStart(unitText: string): string[] {
  const line = unitText.split('\n').find((l) => l.startsWith('ExecStart='));
  if (!line) throw new Error('no ExecStart');
  return splitCommandLine(line.slice('ExecStart='.length));
}

/** The LaunchDaemon's ProgramArguments and Label. */
export function launchDaemon(plistText: string): { label: string; args: string[] } {
  const p = parsePlist(plistText) as { Label: string; ProgramArguments: string[] };
  return { label: p.Label, args: p.ProgramArguments };
}

/** The Windows service's command line from the NSIS include (sc.exe binPath, NSIS defines expanded). */
export function nsisServiceCommand(nshText: string): string[] {
  const defines = new Map<string, string>();
  for (const m of nshText.matchAll(/^!define\s+(\w+)\s+"([^"]*)"/gm)) defines.set(m[1]!, m[2]!);
  const bin = /binPath= "((?:\\"|[^"])*)"/.exec(nshText);
  if (!bin) throw new Error('no binPath');
  const expanded = bin[1]!
    .replace(/\\"/g, '"')
    .replace(/\$\{(\w+)\}/g, (_, name: string) => defines.get(name) ?? `\${${name}}`);
  return splitCommandLine(expanded);
}

export const readRepo = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
