/**
 * Issue 7 acceptance, protocol side: MFA end to end through a real RADIUS server. SoftEther's hub users
 * authenticate against FreeRADIUS (in SoftEther's namespace, started by this file): a TOTP appended to the
 * password (PAP → User-Password → unlang split → rlm_totp) and push approval (FreeRADIUS holds the Access-Request
 * until this test creates the approval file). The real core and service run in this process (ConnectionManager
 * with the real IPsec carrier, no TUN), the test plays the user's authenticator app (RFC 6238 with node:crypto).
 *   - password + current TOTP → connected; stale or wrong TOTP → typed mfa-rejected; a rejected code is asked for
 *     again and the next one connects (a clean full reconnect);
 *   - push: the connect waits on the server (prompt with deadline), connects when approved; without approval it
 *     fails push-rejected when FreeRADIUS gives up; SoftEther's own 15 s RADIUS cap measured;
 *   - RADIUS without MFA as the baseline (PAP and MS-CHAPv2), and push over MS-CHAPv2 (push needs no PAP);
 *   - no OTP or password in logs, diagnostics bundles, errors or prompts.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { MfaPrompt } from '../../core/api/ipc';
import { isFerryError } from '../../core/common/errors';
import { formatLogEntry, type LogEntry } from '../../core/common/log';
import { type Profile, parseProfile } from '../../core/profile/schema';
import { ConnectionManager } from '../../main/service/connection/manager';
import type { OtpProvider } from '../../main/service/connection/mfa';
import { MemorySecretStore } from '../../main/service/secrets/memory';
import { leakedSecrets, type Secret } from '../lab/appHost/evidence';
import {
  approvePush,
  attachSoftEther,
  pushEvents,
  type RadiusInfo,
  radiusLab,
  radiusUnavailableReason,
  SOFTETHER_RADIUS_GIVEUP_MS,
  waitPushPending,
} from '../lab/radius';
import { freshTotp, hotp, newTotpSecret, totp, totpStep } from '../lab/radius/totp';
import { type SoftEtherInfo, softetherLab } from '../lab/softether';
import { describeRequiring, labUnavailableReason } from '../support/env';

const hex = (n: number) => randomBytes(n).toString('hex');
const SECRET = newTotpSecret();
const USERS = {
  plain: { username: 'rad-plain', mode: 'password', password: `plain-${hex(5)}` },
  otp: {
    username: 'rad-otp',
    mode: 'otp-append',
    password: `otp-${hex(5)}`,
    totpSecret: SECRET,
    separator: ',',
  },
  push: { username: 'rad-push', mode: 'push', password: `push-${hex(5)}` },
} as const;

const measured: Record<string, unknown> = {};
const logs: LogEntry[] = [];
const prompts: MfaPrompt[] = [];
const errors: unknown[] = [];
const bundles: string[] = [];
const codesUsed: string[] = [];
let se: SoftEtherInfo;
let radius: RadiusInfo;

function profile(id: string, user: string, extra: Record<string, unknown> = {}): Profile {
  const r = parseProfile({
    id,
    name: id,
    server: se.serverAddress,
    userAuth: { username: user, methods: ['pap'] },
    routing: { mode: 'split', subnets: [] },
    ...extra,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

/** The real service in this process: real carrier, no OS integration; codes from `otp`. */
function manager(otp?: OtpProvider): ConnectionManager {
  const secrets = new MemorySecretStore(
    Object.fromEntries(
      Object.entries(USERS).map(([k, u]) => [`mfa-${k}`, { psk: se.psk, password: u.password }]),
    ),
  );
  const m = new ConnectionManager({
    secrets,
    network: null,
    resolve: async () => se.serverAddress,
    sinks: [(e) => logs.push(e)],
    version: 'mfa-interop',
    ...(otp ? { otp } : {}),
  });
  m.events.on('mfa', (p) => p && prompts.push(p));
  return m;
}

/** A code that is neither this step's nor the previous one's (those could be accepted or tested as stale). */
function wrongCode(): string {
  const near = [-1, 0, 1].map((o) => totp(SECRET, Date.now(), o));
  for (;;) {
    const c = String(randomInt(0, 1_000_000)).padStart(6, '0');
    if (!near.includes(c)) return c;
  }
}

async function connectFails(m: ConnectionManager, p: Profile, otp?: string) {
  const t0 = performance.now();
  const e = await m.connect(p, otp === undefined ? {} : { otp }).then(
    () => null,
    (x: unknown) => x,
  );
  if (!isFerryError(e)) throw new Error(`expected a typed failure, got ${String(e)}`);
  errors.push(e.toJSON());
  bundles.push((await m.bundle(p.id)) ?? '');
  return { error: e, ms: Math.round(performance.now() - t0) };
}

async function authMs(m: ConnectionManager, id: string): Promise<number> {
  return Math.round(m.view(id)?.phases.find((x) => x.phase === 'auth')?.durationMs ?? -1);
}

const serverSaid = async (re: RegExp) => re.test(await radiusLab.serverLog());

describeRequiring(
  'MFA through FreeRADIUS behind SoftEther (TOTP appended to the password, push approval)',
  labUnavailableReason() ?? radiusUnavailableReason(),
  () => {
    beforeAll(async () => {
      const t0 = performance.now();
      se = await softetherLab.up();
      radius = await radiusLab.up({ users: Object.values(USERS), pushTimeoutSeconds: 10 });
      await attachSoftEther(se.hub, radius);
      measured.labUpMs = Math.round(performance.now() - t0);
      measured.radiusStartMs = radius.startMs;
    });

    afterAll(async () => {
      const tail = (await radiusLab.serverLog()).split('\n').slice(-12).join('\n');
      await radiusLab.down();
      await softetherLab.down();
      console.log(
        `MFA / RADIUS measurements: ${JSON.stringify(measured, null, 2)}\nFreeRADIUS log tail:\n${tail}`,
      );
    });

    it('the test authenticator computes RFC 6238 Appendix B codes (SHA-1, 8 digits)', () => {
      const key = new Uint8Array(Buffer.from('12345678901234567890'));
      const vectors: [number, string][] = [
        [59, '94287082'],
        [1111111109, '07081804'],
        [1111111111, '14050471'],
        [1234567890, '89005924'],
        [2000000000, '69279037'],
        [20000000000, '65353130'],
      ];
      for (const [t, code] of vectors) expect(hotp(key, totpStep(t * 1000), 8)).toBe(code);
    });

    it('RADIUS without a second factor (the baseline): PAP and MS-CHAPv2 relayed by SoftEther', async () => {
      const m = manager();
      const out: Record<string, number> = {};
      for (const methods of [['pap'], ['mschapv2']] as const) {
        const p = profile('mfa-plain', USERS.plain.username, {
          userAuth: { username: USERS.plain.username, methods },
        });
        const v = await m.connect(p);
        expect(v.state.kind).toBe('connected');
        if (v.state.kind === 'connected') expect(v.state.addresses.localIp).toMatch(/^192\.168\.30\.\d+$/);
        out[methods[0]] = await authMs(m, p.id);
        bundles.push((await m.bundle(p.id)) ?? '');
        await m.disconnect(p.id);
      }
      measured.baselineAuthMs = out;
      expect(await serverSaid(/Login OK: \[rad-plain\]/)).toBe(true);
    });

    it('password + the current TOTP (appended with ",") → connected; the code travels in PAP only', async () => {
      const asked: MfaPrompt[] = [];
      const m = manager(async (p) => {
        asked.push(p);
        const { code, validForMs } = await freshTotp(SECRET);
        codesUsed.push(code);
        measured.codeValidForMsAtEntry = validForMs;
        return code;
      });
      const p = profile('mfa-otp', USERS.otp.username, { mfa: { mode: 'otp-append', separator: ',' } });
      const t0 = performance.now();
      const v = await m.connect(p);
      measured.otpConnect = { wallMs: Math.round(performance.now() - t0), authMs: await authMs(m, p.id) };
      expect(v.state.kind).toBe('connected');
      if (v.state.kind === 'connected') expect(v.state.algorithms.pppAuth).toBe('pap');
      expect(asked).toHaveLength(1);
      expect(asked[0]).toMatchObject({ kind: 'otp', retry: false, deadline: expect.any(Number) });
      expect(await serverSaid(/Login OK: \[rad-otp\]/)).toBe(true);
      bundles.push((await m.bundle(p.id)) ?? '');
      await m.disconnect(p.id);
    });

    it('a stale TOTP (previous step) and a wrong one → typed mfa-rejected (no re-prompt without a provider)', async () => {
      const m = manager();
      const p = profile('mfa-otp', USERS.otp.username, { mfa: { mode: 'otp-append', separator: ',' } });
      // The UI would be asked for the next code; nobody answers here: the rejection is the final error.
      const cancelPrompts = m.events.on('mfa', (x) => {
        if (x?.kind === 'otp') queueMicrotask(() => m.answerMfa(x.id, null));
      });
      const stale = totp(SECRET, Date.now(), -1);
      codesUsed.push(stale);
      const r1 = await connectFails(m, p, stale);
      expect(r1.error.toJSON()).toMatchObject({ phase: 'auth', code: 'mfa-rejected' });
      expect(r1.error.hint).toMatch(/next code/);
      const wrong = wrongCode();
      codesUsed.push(wrong);
      const r2 = await connectFails(m, p, wrong);
      expect(r2.error.toJSON()).toMatchObject({ phase: 'auth', code: 'mfa-rejected' });
      cancelPrompts();
      // It was the code, not the password: FreeRADIUS's own verdict.
      expect(
        await serverSaid(/Login incorrect \(ferry: the one-time code is not the current one\): \[rad-otp\]/),
      ).toBe(true);
      measured.rejectedCodeMs = { stale: r1.ms, wrong: r2.ms };
      const last = prompts.filter((x) => x.kind === 'otp').at(-1);
      expect(last).toMatchObject({ retry: true, rejected: { code: 'mfa-rejected' } });
    });

    it('a rejected code is asked for again with the typed error; the next code connects (clean full reconnect)', async () => {
      const asked: Extract<MfaPrompt, { kind: 'otp' }>[] = [];
      let codeWaitMs = 0;
      const m = manager(async (p) => {
        if (p.kind !== 'otp') return null;
        asked.push(p);
        const w0 = performance.now();
        const code = asked.length === 1 ? wrongCode() : (await freshTotp(SECRET)).code;
        codeWaitMs += performance.now() - w0;
        codesUsed.push(code);
        return code;
      });
      const p = profile('mfa-otp', USERS.otp.username, { mfa: { mode: 'otp-append', separator: ',' } });
      const t0 = performance.now();
      const v = await m.connect(p);
      expect(v.state.kind).toBe('connected');
      measured.rejectedThenAcceptedWallMs = Math.round(performance.now() - t0);
      // Without the time the test's authenticator waited for a fresh TOTP step (up to 12 s): the client's own time.
      measured.rejectedThenAcceptedClientMs = Math.round(performance.now() - t0 - codeWaitMs);
      expect(asked.map((x) => x.retry)).toEqual([false, true]);
      expect(asked[1]!.rejected).toMatchObject({
        code: 'mfa-rejected',
        hint: expect.stringMatching(/next code/),
      });
      bundles.push((await m.bundle(p.id)) ?? '');
      await m.disconnect(p.id);
    });

    it('push (PAP): the connect waits on the server with a deadline prompt, and connects when approved', async () => {
      const m = manager();
      const p = profile('mfa-push', USERS.push.username, { mfa: { mode: 'push', timeoutSeconds: 60 } });
      const t0 = performance.now();
      const up = m.connect(p);
      await waitPushPending(USERS.push.username);
      const pendingAt = performance.now();
      expect(m.mfaPrompt).toMatchObject({ kind: 'push', profileId: p.id, expiresInSeconds: 60 });
      const deadline = (m.mfaPrompt as { deadline: number }).deadline;
      expect(deadline - Date.now()).toBeGreaterThan(55_000);
      expect(deadline - Date.now()).toBeLessThanOrEqual(60_000);
      await new Promise((r) => setTimeout(r, 5000));
      expect(m.view(p.id)?.state).toEqual({ kind: 'connecting', phase: 'auth' });
      approvePush(USERS.push.username);
      const v = await up;
      expect(v.state.kind).toBe('connected');
      expect(m.mfaPrompt).toBeNull();
      const server = pushEvents()
        .filter((e) => e.user === USERS.push.username)
        .at(-1);
      expect(server?.event).toBe('approved');
      measured.pushApproved = {
        authMs: await authMs(m, p.id),
        serverHeldMs: server?.elapsedMs,
        pendingAfterMs: Math.round(pendingAt - t0),
        wallMs: Math.round(performance.now() - t0),
      };
      expect(await authMs(m, p.id)).toBeGreaterThanOrEqual(5000);
      bundles.push((await m.bundle(p.id)) ?? '');
      await m.disconnect(p.id);
    });

    it('push over MS-CHAPv2 works too (push does not need PAP)', async () => {
      const m = manager();
      const p = profile('mfa-push', USERS.push.username, {
        userAuth: { username: USERS.push.username, methods: ['mschapv2'] },
        mfa: { mode: 'push', timeoutSeconds: 60 },
      });
      const up = m.connect(p);
      await waitPushPending(USERS.push.username);
      await new Promise((r) => setTimeout(r, 2000));
      approvePush(USERS.push.username);
      const v = await up;
      if (v.state.kind !== 'connected') throw new Error(JSON.stringify(v.state));
      expect(v.state.algorithms.pppAuth).toBe('mschapv2');
      measured.pushMsChapV2AuthMs = await authMs(m, p.id);
      await m.disconnect(p.id);
    });

    it('push never approved: push-rejected with a clear error when the server gives up (10 s window)', async () => {
      const m = manager();
      const p = profile('mfa-push', USERS.push.username, { mfa: { mode: 'push', timeoutSeconds: 60 } });
      const r = await connectFails(m, p);
      expect(r.error.toJSON()).toMatchObject({ phase: 'auth', code: 'push-rejected' });
      expect(r.error.message).toMatch(/after 1[0-2] s without an approval/);
      expect(r.error.hint).toMatch(/approve/);
      expect(pushEvents().at(-1)).toMatchObject({ user: USERS.push.username, event: 'timeout' });
      expect(m.mfaPrompt).toBeNull();
      expect(m.view(p.id)?.state).toMatchObject({ kind: 'failed', code: 'push-rejected' });
      measured.pushNeverApproved = { authMs: await authMs(m, p.id), wallMs: r.ms };
    });

    it(`SoftEther's own RADIUS wait is capped at ${SOFTETHER_RADIUS_GIVEUP_MS / 1000} s (Radius.h), whatever FreeRADIUS and the client allow`, async () => {
      // FreeRADIUS would hold the request 40 s; the users exist already, only the server entry changes.
      radius = await radiusLab.up({ users: Object.values(USERS), pushTimeoutSeconds: 40 });
      await attachSoftEther(se.hub, radius, { createUsers: false });
      const m = manager();
      const p = profile('mfa-push', USERS.push.username, { mfa: { mode: 'push', timeoutSeconds: 120 } });
      const r = await connectFails(m, p);
      const auth = await authMs(m, p.id);
      measured.softEtherRadiusGiveUp = { authMs: auth, wallMs: r.ms, freeRadiusStillWaiting: true };
      expect(r.error.code).toBe('push-rejected');
      expect(auth).toBeGreaterThanOrEqual(SOFTETHER_RADIUS_GIVEUP_MS - 500);
      expect(auth).toBeLessThan(SOFTETHER_RADIUS_GIVEUP_MS + 10_000);
      // FreeRADIUS had not answered yet: the verdict was SoftEther's.
      expect(pushEvents().map((e) => e.event)).toEqual(['pending']);
    });

    it('no OTP or password in logs, diagnostics bundles, errors or prompts', () => {
      const secrets: Secret[] = [
        ...Object.values(USERS).map((u) => ({ label: `${u.username} password`, value: u.password })),
        { label: 'TOTP secret', value: SECRET },
        { label: 'PSK', value: se.psk },
        ...codesUsed.map((c, i) => ({ label: `one-time code #${i + 1}`, value: c })),
        ...codesUsed.map((c, i) => ({
          label: `password with code #${i + 1}`,
          value: `${USERS.otp.password},${c}`,
        })),
      ];
      const logText = logs.map(formatLogEntry).join('\n');
      expect(logs.length).toBeGreaterThan(200);
      expect(bundles.length).toBeGreaterThan(4);
      expect(leakedSecrets(logText, secrets), 'log lines').toEqual([]);
      expect(leakedSecrets(bundles.join('\n'), secrets), 'diagnostics bundles').toEqual([]);
      expect(leakedSecrets(JSON.stringify(errors), secrets), 'errors').toEqual([]);
      expect(leakedSecrets(JSON.stringify(prompts), secrets), 'prompts').toEqual([]);
      measured.leakCheck = { logLines: logs.length, bundles: bundles.length, codes: codesUsed.length };
    });
  },
);
