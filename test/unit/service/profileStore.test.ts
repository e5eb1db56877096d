/**
 * ProfileStore: user profiles round trip, invalid files reported with field errors (never a crash, never dropped
 * silently), managed profiles and the policy from the system directory (applied on load, refused on save).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serializeProfileFile } from '../../../core/profile/schema';
import { parsePolicy } from '../../../main/service/profiles/policy';
import { ProfileStore } from '../../../main/service/profiles/profileStore';

let root: string;
let userDir: string;
let systemDir: string;
let policyFile: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ferry-store-'));
  userDir = join(root, 'user', 'profiles');
  systemDir = join(root, 'etc', 'profiles.d');
  policyFile = join(root, 'etc', 'policy.json');
  mkdirSync(systemDir, { recursive: true });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const store = () => new ProfileStore({ userDir, systemDir, policyFile });
const base = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: `Profile ${id}`,
  server: 'vpn.example.com',
  userAuth: { username: 'alice' },
  ...extra,
});
const envelope = (p: unknown) => `${JSON.stringify({ format: 'ferry-profile', version: 1, profile: p })}\n`;

describe('ProfileStore: user profiles', () => {
  it('saves (0600, one file per id), lists, finds by id or name, reloads identically', async () => {
    const s = store();
    await s.load();
    const r = await s.save(base('corp', { routing: { mode: 'split', subnets: ['10.1.0.0/16'] } }));
    expect(r.ok).toBe(true);
    const path = join(userDir, 'corp.ferry.json');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(s.find('corp')?.profile.routing).toEqual({ mode: 'split', subnets: ['10.1.0.0/16'] });
    expect(s.find('profile CORP')?.profile.id).toBe('corp');
    const again = store();
    await again.load();
    expect(again.list()).toEqual(s.list());
    expect(again.get('corp')).toMatchObject({ managed: false, locked: false, warnings: [] });
  });

  it('refuses invalid input with field errors and writes nothing', async () => {
    const s = store();
    await s.load();
    const r = await s.save({ ...base('corp'), server: '', mtu: 20 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('invalid-profile');
    expect([...new Set(r.error.fields?.map((f) => f.path))].sort()).toEqual(['mtu', 'server']);
    expect(s.list()).toEqual([]);
  });

  it('reports broken files with their field errors and keeps loading the good ones', async () => {
    mkdirSync(userDir, { recursive: true });
    writeFileSync(join(userDir, 'good.ferry.json'), envelope(base('good')));
    writeFileSync(
      join(userDir, 'typo.ferry.json'),
      envelope({ ...base('typo'), routing: { mode: 'split', subnets: ['10.0.0.0/99'] } }),
    );
    writeFileSync(join(userDir, 'garbage.ferry.json'), '{ not json');
    writeFileSync(
      join(userDir, 'old.ferry.json'),
      JSON.stringify({ format: 'ferry-profile', version: 2, profile: {} }),
    );
    // Same id in a later file (files are read in name order): the later one is reported.
    writeFileSync(join(userDir, 'zdup.ferry.json'), envelope({ ...base('good'), name: 'Another good' }));
    const s = store();
    await s.load();
    expect(s.list().map((p) => p.profile.id)).toEqual(['good']);
    const byFile = Object.fromEntries(s.problems.map((p) => [p.path.split('/').at(-1), p]));
    expect(Object.keys(byFile).sort()).toEqual([
      'garbage.ferry.json',
      'old.ferry.json',
      'typo.ferry.json',
      'zdup.ferry.json',
    ]);
    expect(byFile['typo.ferry.json']!.fields).toEqual([
      { path: 'profile.routing.subnets.0', message: expect.any(String) },
    ]);
    expect(byFile['garbage.ferry.json']!.fields[0]!.message).toMatch(/not valid JSON/);
    expect(byFile['old.ferry.json']!.fields[0]!.path).toBe('version');
    expect(s.get('good')?.profile.name).toBe('Profile good');
    expect(byFile['zdup.ferry.json']!.message).toMatch(/already used/);
  });

  it('imports with a fresh id when the id is taken, and exports without secrets by construction', async () => {
    const s = store();
    await s.load();
    const text = envelope(base('corp'));
    expect((await s.importText(text)).ok).toBe(true);
    const second = await s.importText(text);
    expect(second.ok && second.value.profile).toMatchObject({ id: 'corp-2', name: 'Profile corp (2)' });
    const bad = await s.importText('{"format":"ferry-profile"}');
    expect(bad.ok ? null : bad.error.code).toBe('invalid-profile-file');
    const out = s.exportText('corp');
    expect(out.ok && out.value.fileName).toBe('corp.ferry.json');
    expect(out.ok && out.value.text).toBe(serializeProfileFile(s.get('corp')!.profile));
  });

  it('deletes user profiles; unknown ids are not found', async () => {
    const s = store();
    await s.load();
    await s.save(base('corp'));
    expect((await s.remove('corp')).ok).toBe(true);
    expect(s.get('corp')).toBeUndefined();
    const r = await s.remove('corp');
    expect(r.ok ? null : r.error.code).toBe('not-found');
  });
});

describe('ProfileStore: managed profiles and policy', () => {
  it('loads managed profiles (envelope or bare) as managed and locked when the policy locks editing', async () => {
    writeFileSync(join(systemDir, 'hq.ferry.json'), envelope(base('hq')));
    writeFileSync(join(systemDir, 'branch.json'), JSON.stringify(base('branch')));
    writeFileSync(policyFile, JSON.stringify({ lockEditing: true }));
    const s = store();
    await s.load();
    expect(s.policy).toEqual({
      lockEditing: true,
      forceFullTunnel: false,
      forbidLegacy: false,
      forbidPap: false,
    });
    expect(s.list().map((p) => [p.profile.id, p.managed, p.locked])).toEqual([
      ['branch', true, true],
      ['hq', true, true],
    ]);
    const edit = await s.save({ ...base('hq'), name: 'Mine now' });
    expect(edit.ok ? null : edit.error.code).toBe('locked');
    const del = await s.remove('hq');
    expect(del.ok ? null : del.error.code).toBe('managed');
  });

  it('a user edit of a managed profile wins when editing is not locked, and is ignored (reported) when it is', async () => {
    writeFileSync(join(systemDir, 'hq.ferry.json'), envelope(base('hq')));
    const s = store();
    await s.load();
    expect((await s.save({ ...base('hq'), name: 'HQ (mine)' })).ok).toBe(true);
    expect(s.get('hq')).toMatchObject({ managed: true, locked: false, profile: { name: 'HQ (mine)' } });
    writeFileSync(policyFile, JSON.stringify({ lockEditing: true }));
    await s.load();
    expect(s.get('hq')).toMatchObject({ locked: true, profile: { name: 'Profile hq' } });
    expect(s.problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/managed profile and the policy locks editing/),
    ]);
    // Deleting the user's copy brings the managed original back.
    writeFileSync(policyFile, JSON.stringify({}));
    await s.load();
    expect((await s.remove('hq')).ok).toBe(true);
    expect(s.get('hq')).toMatchObject({ managed: true, profile: { name: 'Profile hq' } });
  });

  it('applies the policy on load: full tunnel forced, PAP and legacy algorithms removed, with warnings', async () => {
    writeFileSync(policyFile, JSON.stringify({ forceFullTunnel: true, forbidPap: true, forbidLegacy: true }));
    mkdirSync(userDir, { recursive: true });
    writeFileSync(
      join(userDir, 'old.ferry.json'),
      envelope(
        base('old', {
          routing: { mode: 'split', subnets: ['10.0.0.0/8'] },
          userAuth: { username: 'alice', methods: ['mschapv2', 'pap'] },
          algorithms: {
            legacy: true,
            phase1: ['3des-sha1-modp1024', 'aes256-sha256-modp2048'],
            phase2: ['3des-sha1'],
          },
        }),
      ),
    );
    writeFileSync(
      join(userDir, 'paponly.ferry.json'),
      envelope(base('paponly', { userAuth: { username: 'a', methods: ['pap'] } })),
    );
    const s = store();
    await s.load();
    const old = s.get('old')!;
    expect(old.profile.routing).toEqual({ mode: 'full' });
    expect(old.profile.userAuth.methods).toEqual(['mschapv2']);
    expect(old.profile.algorithms).toMatchObject({ legacy: false, phase1: ['aes256-sha256-modp2048'] });
    expect(old.profile.algorithms.phase2).toBeUndefined();
    expect(old.warnings).toHaveLength(3);
    // A profile that cannot comply is reported, not dropped silently and not loaded as is.
    expect(s.get('paponly')).toBeUndefined();
    expect(s.problems).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/cannot comply/),
        fields: [{ path: 'userAuth.methods', message: expect.any(String) }],
      }),
    ]);
  });

  it('refuses to save what the policy forbids, as field errors', async () => {
    writeFileSync(policyFile, JSON.stringify({ forceFullTunnel: true, forbidPap: true, forbidLegacy: true }));
    const s = store();
    await s.load();
    const r = await s.save(
      base('x', {
        routing: { mode: 'split', subnets: [] },
        userAuth: { username: 'a', methods: ['pap'] },
        algorithms: { legacy: true, phase2: ['3des-sha1'] },
      }),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.fields?.map((f) => f.path)).toEqual([
      'routing.mode',
      'userAuth.methods',
      'algorithms.legacy',
      'algorithms.phase2.0',
    ]);
  });

  it('an unreadable or broken policy fails closed and is reported', async () => {
    writeFileSync(policyFile, '{ lockEditing: yes');
    const s = store();
    await s.load();
    expect(s.policy).toMatchObject({ lockEditing: true, forbidLegacy: true, forbidPap: true });
    expect(s.problems[0]).toMatchObject({ source: 'policy' });
  });
});

describe('parsePolicy', () => {
  it('takes booleans, reports unknown keys, enforces a mistyped rule', () => {
    expect(parsePolicy('{"forbidPap": true}')).toEqual({
      policy: { lockEditing: false, forceFullTunnel: false, forbidLegacy: false, forbidPap: true },
      errors: [],
    });
    const r = parsePolicy('{"forceFullTunnel": "yes", "colour": "red"}');
    expect(r.policy.forceFullTunnel).toBe(true);
    expect(r.errors.map((e) => e.path).sort()).toEqual(['', 'forceFullTunnel']);
    expect(parsePolicy('[]').errors).not.toEqual([]);
  });
});

it('leaves the file of another profile alone when one is saved (one file per profile)', async () => {
  const s = store();
  await s.load();
  await s.save(base('a'));
  await s.save(base('b'));
  const a = readFileSync(join(userDir, 'a.ferry.json'), 'utf8');
  await s.save({ ...base('b'), name: 'B2' });
  expect(readFileSync(join(userDir, 'a.ferry.json'), 'utf8')).toBe(a);
});
