/**
 * build/electron-builder.yml without building installers (no Electron binary here): electron-builder's own loader
 * and schema accept it, every file it names exists, the fuses and asar are as the security checklist wants, no
 * secret is in it, and the helper's service definitions (systemd, launchd, Windows service) run the files the
 * packages contain with arguments the helper's own parser accepts.
 */
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, posix } from 'node:path';
import type { Configuration } from 'app-builder-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELPER_BUNDLE, MAIN_BUNDLE } from '../../../main/app/appFiles';
import { parseHelperArgs } from '../../../main/helper/config';
import { describeRequiring } from '../../support/env';
import {
  launchDaemon,
  loadBuilderConfig,
  nsisServiceCommand,
  ROOT,
  readRepo,
  unitExecStart,
  validateBuilderConfig,
} from './builderSupport';

let config: Configuration;
beforeAll(async () => {
  config = await loadBuilderConfig();
});

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
function* entries(v: Json, path = ''): Generator<{ path: string; key: string; value: Json }> {
  if (Array.isArray(v)) for (const [i, x] of v.entries()) yield* entries(x, `${path}[${i}]`);
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      yield { path: `${path}.${k}`, key: k, value: x };
      yield* entries(x, `${path}.${k}`);
    }
}

describe('electron-builder configuration', () => {
  it('passes electron-builder’s own schema validation (and the validator does reject a broken copy)', async () => {
    await expect(validateBuilderConfig(config)).resolves.toBeUndefined();
    await expect(
      validateBuilderConfig({ ...config, nsis: { ...config.nsis, oneClickk: true } } as Configuration),
    ).rejects.toThrow(/Invalid configuration object/);
    await expect(
      validateBuilderConfig({ ...config, asar: 'yes' } as unknown as Configuration),
    ).rejects.toThrow(/asar/);
  });

  it('names the app, its icons, and registers .ferry.json files', () => {
    expect(config.appId).toBe('com.ferryvpn.app');
    expect(config.productName).toBe('Ferry');
    expect(config.fileAssociations).toEqual([
      expect.objectContaining({
        ext: 'ferry.json',
        name: 'Ferry profile',
        mimeType: 'application/x-ferry-profile+json',
      }),
    ]);
    expect(config.extraMetadata?.main).toBe(MAIN_BUNDLE);
  });

  it('flips the fuses: no RunAsNode, NODE_OPTIONS or --inspect; ASAR integrity on and only the ASAR loads', () => {
    expect(config.asar).toBe(true);
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
      loadBrowserProcessSpecificV8Snapshot: false,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('builds the targets the product ships: NSIS (per machine) + MSI, dmg + pkg, deb + rpm + AppImage', () => {
    const targets = (t: unknown) => (t as { target: string }[]).map((x) => x.target);
    expect(targets(config.win?.target)).toEqual(['nsis', 'msi']);
    expect(targets(config.mac?.target)).toEqual(['dmg', 'pkg']);
    expect(targets(config.linux?.target)).toEqual(['deb', 'rpm', 'AppImage']);
    expect(config.nsis).toMatchObject({
      perMachine: true,
      oneClick: false,
      include: 'build/win/installer.nsh',
    });
    expect(config.msi?.perMachine).toBe(true);
    expect(config.mac).toMatchObject({ hardenedRuntime: true, notarize: true });
  });

  it('every file it names exists (icons, scripts, entitlements, service definitions, include script)', () => {
    const named = [
      config.icon,
      config.win?.icon,
      config.mac?.icon,
      config.linux?.icon,
      config.nsis?.include,
      config.mac?.entitlements,
      config.mac?.entitlementsInherit,
      config.deb?.afterInstall,
      config.deb?.afterRemove,
      config.rpm?.afterInstall,
      config.rpm?.afterRemove,
      ...[config.deb?.fpm, config.rpm?.fpm].map((args) => args?.[args.indexOf('--before-remove') + 1]),
    ];
    for (const f of named) {
      expect(f, 'a path the configuration should name').toBeTypeOf('string');
      expect(existsSync(join(ROOT, f as string)), f as string).toBe(true);
    }
    // Every other path-looking string (build/…, assets/…) exists too.
    for (const e of entries(config as unknown as Json))
      if (typeof e.value === 'string' && /^(build|assets)\//.test(e.value) && !/[*{]/.test(e.value))
        expect(existsSync(join(ROOT, e.value)), `${e.path} = ${e.value}`).toBe(true);
    // pkg scripts are relative to the build resources directory and must be executable.
    const scripts = join(ROOT, config.directories!.buildResources!, config.pkg!.scripts!);
    expect(readdirSync(scripts).sort()).toEqual(['postinstall', 'preinstall']);
    for (const s of readdirSync(scripts)) accessSync(join(scripts, s), constants.X_OK);
    for (const r of [
      ...((config.mac?.extraResources ?? []) as { from: string }[]),
      ...((config.linux?.extraResources ?? []) as { from: string }[]),
    ])
      expect(existsSync(join(ROOT, r.from)), r.from).toBe(true);
  });

  it('carries no secret: signing and notarization come from the environment only', () => {
    const text = readRepo('build/electron-builder.yml');
    for (const e of entries(config as unknown as Json)) {
      expect(e.key, e.path).not.toMatch(
        /password|passphrase|secret|token|cscLink|cscKey|cscInstaller|certificate(File|Password|Sha1|SubjectName)|apiKey|appleId|identity|provisioningProfile/i,
      );
      if (typeof e.value !== 'string') continue;
      expect(e.value, e.path).not.toMatch(/-----BEGIN|PRIVATE KEY|\.p12$|\.pfx$|\.p8$/i);
      expect(e.value, e.path).not.toMatch(/[A-Za-z0-9+/]{40,}={0,2}/);
      expect(e.value, e.path).not.toMatch(/:\/\/[^/\s]+:[^/\s]+@/);
    }
    const settings = text.split('\n').filter((l) => !l.trim().startsWith('#'));
    expect(settings.join('\n')).not.toMatch(/CSC_|APPLE_|WIN_CSC|_PASSWORD|AZURE_/);
    // The file documents where the secrets come from instead.
    expect(text).toMatch(/#.*CSC_LINK/);
    expect(text).toMatch(/#.*APPLE_API_KEY/);
  });
});

const groups = (name: string): number | null => ({ ferry: 990, staff: 20 })[name as 'ferry'] ?? null;
const argsOk = (args: string[]) => {
  const r = parseHelperArgs(args, groups);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

describe('the helper’s service definitions', () => {
  const helperFile = basename(HELPER_BUNDLE);

  it('systemd: runs the packaged runtime and helper under /opt/<productName>/resources/helper, socket mode, group ferry', () => {
    const [exe, script, ...args] = unitExecStart(readRepo('build/linux/ferry-helper.service'));
    const dir = `/opt/${config.productName}/resources/helper`;
    expect(exe).toBe(`${dir}/runtime/node`);
    expect(script).toBe(`${dir}/${helperFile}`);
    expect(argsOk(args)).toMatchObject({ mode: 'socket', socketPath: '/run/ferry/helper.sock', group: 990 });
    expect(readRepo('build/linux/after-install.sh')).toMatch(
      /\$HELPER_DIR\/\$UNIT" "\/usr\/lib\/systemd\/system\/\$UNIT"/,
    );
  });

  it('launchd: the daemon the pkg installs runs the bundle’s runtime and helper; Label matches the scripts', () => {
    const plistFile = 'build/mac/com.ferryvpn.helper.plist';
    const { label, args } = launchDaemon(readRepo(plistFile));
    expect(`${label}.plist`).toBe(basename(plistFile));
    const dir = `${config.pkg?.installLocation}/${config.productName}.app/Contents/Resources/helper`;
    expect(args.slice(0, 2)).toEqual([`${dir}/runtime/node`, `${dir}/${helperFile}`]);
    expect(argsOk(args.slice(2))).toMatchObject({
      mode: 'socket',
      socketPath: '/var/run/ferry/helper.sock',
      group: 20,
    });
    const post = readRepo('build/mac/pkg-scripts/postinstall');
    expect(post).toContain(`LABEL=${label}`);
    expect(post).toContain(`APP="\${2:-${config.pkg?.installLocation}}/${config.productName}.app"`);
    expect(readRepo('build/mac/pkg-scripts/preinstall')).toContain(`system/${label}`);
    expect(config.mac?.extraResources).toEqual([{ from: plistFile, to: `helper/${basename(plistFile)}` }]);
  });

  it('Windows service: sc.exe runs the shipped node.exe with the helper from the install directory', () => {
    const nsh = readRepo('build/win/installer.nsh');
    const [exe, script, ...args] = nsisServiceCommand(nsh);
    expect(exe).toBe('$INSTDIR\\resources\\helper\\runtime\\node.exe');
    expect(script).toBe(`$INSTDIR\\resources\\helper\\${helperFile}`);
    expect(argsOk(args).mode).toBe('socket');
    for (const macro of ['customInit', 'customInstall', 'customUnInstall'])
      expect(nsh).toMatch(new RegExp(`^!macro ${macro}$`, 'm'));
    expect(nsh.match(/^!macro /gm)?.length).toBe(nsh.match(/^!macroend$/gm)?.length);
    expect(nsh).toMatch(/\$\{IfNot\} \$\{isUpdated\}\s+nsExec::ExecToLog '"\$SYSDIR\\sc.exe" delete/);
  });

  it('packs the helper directory to resources/helper, where all three definitions look', () => {
    const extra = config.extraResources as { from: string; to: string }[];
    expect(extra).toEqual([
      { from: posix.dirname(HELPER_BUNDLE), to: 'helper' },
      { from: `${posix.dirname(HELPER_BUNDLE)}/node_modules`, to: 'helper/node_modules' },
    ]);
  });
});

describe('installer scripts', () => {
  const linux = ['after-install.sh', 'before-remove.sh', 'after-remove.sh'].map((f) => `build/linux/${f}`);
  const mac = ['preinstall', 'postinstall'].map((f) => `build/mac/pkg-scripts/${f}`);

  it('are POSIX shell that parses, with a shebang, executable', () => {
    for (const f of [...linux, ...mac]) {
      const r = spawnSync('sh', ['-n', join(ROOT, f)], { encoding: 'utf8' });
      expect(r.status, `${f}: ${r.stderr}`).toBe(0);
      expect(readRepo(f).startsWith('#!/bin/sh\n'), f).toBe(true);
      expect(statSync(join(ROOT, f)).mode & 0o111, f).not.toBe(0);
    }
  });

  it('use only the macros electron-builder substitutes in deb/rpm scripts (anything else fails the build)', () => {
    const known = new Set(['executable', 'sanitizedProductName', 'productFilename']);
    for (const f of [config.deb?.afterInstall, config.deb?.afterRemove] as string[]) {
      const macros = [...readRepo(f).matchAll(/\$\{([a-zA-Z]+)\}/g)].map((m) => m[1]!);
      expect(macros.length, f).toBeGreaterThan(0);
      for (const m of macros) expect(known.has(m), `${f}: \${${m}}`).toBe(true);
    }
  });

  it('install the unit and group, and stop the helper before removal', () => {
    const post = readRepo('build/linux/after-install.sh');
    expect(post).toMatch(/groupadd --system ferry/);
    expect(post).toMatch(/systemctl enable "\$UNIT"/);
    expect(readRepo('build/linux/before-remove.sh')).toMatch(/systemctl stop ferry-helper\.service/);
    expect(readRepo('build/linux/after-remove.sh')).toMatch(
      /rm -f \/usr\/lib\/systemd\/system\/ferry-helper\.service/,
    );
  });
});

const systemdAnalyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
describeRequiring(
  'the systemd unit, checked by systemd',
  systemdAnalyze.status === 0 ? null : 'systemd-analyze is not installed (Debian package systemd)',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-unit-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('passes systemd-analyze verify with no warning (paths mapped to a stand-in install)', () => {
      const unit = readRepo('build/linux/ferry-helper.service');
      const prefix = join(dir, 'root');
      const [exe, script] = unitExecStart(unit);
      for (const f of [exe!, script!]) {
        const target = join(prefix, f);
        spawnSync('mkdir', ['-p', posix.dirname(target)]);
        writeFileSync(target, '#!/bin/sh\n', { mode: 0o755 });
      }
      const mapped = join(dir, 'ferry-helper.service');
      writeFileSync(mapped, unit.replaceAll('/opt/', `${prefix}/opt/`));
      const r = spawnSync('systemd-analyze', ['verify', '--man=no', mapped], { encoding: 'utf8' });
      // verify also loads the host's units it pulls in; their own warnings (e.g. an installed freeradius.service)
      // are not ours.
      const foreign = /^(\/\S+?\.(service|socket|target|mount|timer|path|slice)):\d+:/;
      const ours = r.stderr
        .split('\n')
        .filter((l) => l.trim() !== '' && (foreign.exec(l)?.[1] ?? mapped) === mapped);
      expect(ours).toEqual([]);
      expect(r.status).toBe(0);
    });
  },
);
