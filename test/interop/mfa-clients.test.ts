/**
 * Issue 7 acceptance, client side: the app (the real renderer in Debian's Chromium over the real FerryService,
 * helper, TUN and keyring, in client namespace `ferry-mfa`) and the `ferry` CLI, against SoftEther whose users
 * authenticate through FreeRADIUS (TOTP appended to the password; push held until this test approves).
 *   - UI, one-time code: the modal asks, a wrong code comes back as a re-prompt with the core's typed error
 *     (mfa-rejected: message, hint, code) while the list shows the failure, the current TOTP connects, a ping
 *     crosses the TUN, disconnect restores the namespace;
 *   - UI, push: "approve on your device" with a countdown to the deadline while the server holds the request;
 *     connects when approved; fails with push-rejected when the approval never comes; Cancel stops waiting;
 *   - CLI: `--otp` with the current code connects, a wrong one exits 13 (mfa-rejected), push waits and connects;
 *   - no OTP or password in renderer states, the page bridge, host/helper/CLI/FreeRADIUS logs or the exports.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { buildRenderer } from '../../scripts/build-renderer';
import { type AppPageHandle, launchBrowser, openApp } from '../e2e/harness/browser';
import { type Harness, startHarness } from '../e2e/harness/server';
import { FerryApp } from '../e2e/pages/FerryApp';
import { AppHost, closePageKeepingStates } from '../lab/appHost/appHost';
import { leakedSecrets, Screenshots, type Secret } from '../lab/appHost/evidence';
import { ClientNamespace, type ConnectedStatus, ping, ROOT } from '../lab/clientNamespace';
import {
  approvePush,
  attachSoftEther,
  pushEvents,
  radiusLab,
  radiusUnavailableReason,
  waitPushPending,
} from '../lab/radius';
import { freshTotp, newTotpSecret, totp } from '../lab/radius/totp';
import { type SoftEtherInfo, softetherLab } from '../lab/softether';
import { waitFor } from '../lab/sys';
import { describeRequiring, labUnavailableReason } from '../support/env';

const ns = new ClientNamespace('ferry-mfa');
const GATEWAY = '10.201.0.1';
const RENDERER_DIR = join(ROOT, 'dist', 'mfa-interop', 'renderer');
const UP = { timeout: 60_000, interval: 100 };
const hex = (n: number) => randomBytes(n).toString('hex');
const PSK = `mfa-psk-${hex(6)}`;
const SECRET = newTotpSecret();
const USERS = {
  otp: {
    username: 'dave',
    mode: 'otp-append',
    password: `otp-pw-${hex(5)}`,
    totpSecret: SECRET,
    separator: ',',
  },
  push: { username: 'erin', mode: 'push', password: `push-pw-${hex(5)}` },
} as const;

const measured: Record<string, unknown> = {};
const shots = new Screenshots(undefined, 'mfa-');
const storeStates: string[] = [];
const codesUsed: string[] = [];
const cliOutput: string[] = [];
let se: SoftEtherInfo;
let baseline: Record<string, string>;
let host: AppHost | undefined;
let harness: Harness | undefined;
let browser: Browser | undefined;
let handle: AppPageHandle | null = null;

const since = (t0: number) => Math.round(performance.now() - t0);

function wrongCode(): string {
  const near = [-1, 0, 1].map((o) => totp(SECRET, Date.now(), o));
  for (;;) {
    const c = String(randomInt(0, 1_000_000)).padStart(6, '0');
    if (!near.includes(c)) return c;
  }
}

async function open(): Promise<FerryApp> {
  if (!browser || !harness) throw new Error('setup failed');
  handle = await openApp(browser, harness, { timeoutMs: 10_000 });
  return new FerryApp(handle.page).ready();
}

async function backToBaseline(): Promise<number> {
  return ns.backToBaseline(baseline, 10_000);
}

/** Seconds shown by the countdown ("0:57" → 57). */
async function countdownSeconds(app: FerryApp): Promise<number> {
  const [m, s] = ((await app.mfa.countdown.textContent()) ?? '').split(':').map(Number);
  return (m ?? 0) * 60 + (s ?? 0);
}

const pushProfile = (id: string, name: string) => ({
  id,
  name,
  server: se.serverAddress,
  userAuth: { username: USERS.push.username, methods: ['mschapv2'] },
  mfa: { mode: 'push', timeoutSeconds: 60 },
  routing: { mode: 'split', subnets: [] },
});

describeRequiring(
  'MFA in the app (real renderer) and the CLI, against SoftEther + FreeRADIUS',
  labUnavailableReason() ?? radiusUnavailableReason(),
  () => {
    beforeAll(async () => {
      await buildRenderer({ outDir: RENDERER_DIR });
      const t0 = performance.now();
      await ns.create();
      se = await softetherLab.up({ clientNetns: ns.name, psk: PSK });
      const radius = await radiusLab.up({ users: Object.values(USERS), pushTimeoutSeconds: 10 });
      await attachSoftEther(se.hub, radius);
      await ns.start(GATEWAY);
      baseline = await ns.snapshot();
      measured.labUpMs = since(t0);
      host = await AppHost.start(ns);
      measured.secretStore = `${host.secrets} (${host.secretsWhy})`;
      harness = await startHarness({ api: host.api.api, rendererDir: RENDERER_DIR });
      browser = await launchBrowser();
    });

    afterEach(async () => {
      const h = handle;
      handle = null;
      await closePageKeepingStates(h, storeStates);
      await ns.stopConnects();
      await host?.disconnectAll();
      expect(h?.problems ?? [], 'console errors or CSP violations in the page').toEqual([]);
    });

    afterAll(async () => {
      await browser?.close().catch(() => undefined);
      await harness?.close().catch(() => undefined);
      await host?.stop();
      await radiusLab.down();
      await softetherLab.down();
      await ns.destroy();
      console.log(`MFA app/CLI measurements: ${JSON.stringify(measured, null, 2)}`);
      if (shots.taken.length) console.log(`screenshots:\n${shots.listing()}`);
    });

    it('UI: the code prompt, the re-prompt with the typed error after a wrong code, then the current TOTP connects', async () => {
      const app = await open();
      const ed = await app.newProfile();
      await ed.enter('Name', 'MFA code');
      await ed.enter('Server', se.serverAddress);
      await ed.enter('User name', USERS.otp.username);
      await ed.choose('Traffic through the VPN', 'Only these networks (split tunnel)');
      await ed.method('PAP').check();
      await ed.method('MS-CHAPv2').uncheck();
      await ed.choose('Second factor (MFA)', 'One-time code appended to the password');
      // The trade-off is explained where the choice is made.
      expect(await ed.group('Second factor (MFA)').textContent()).toContain('only PAP is used');
      await ed.enter('Separator between password and code', ',');
      await ed.fill('Pre-shared key', PSK);
      await ed.fill('Password', USERS.otp.password);
      await ed.save();
      await expect.poll(() => app.panel.title.textContent(), UP).toBe('MFA code');

      await app.list.toggle('MFA code').click();
      await app.mfa.code.waitFor({ timeout: UP.timeout });
      expect(await app.mfa.heading.textContent()).toBe('Enter your verification code');
      expect(await app.mfa.rejected.count()).toBe(0);
      // The countdown counts to the host's deadline (120 s).
      expect(await countdownSeconds(app)).toBeGreaterThan(110);
      await shots.take(app.page, 'otp-prompt');
      const wrong = wrongCode();
      codesUsed.push(wrong);
      const t0 = performance.now();
      await app.mfa.submit(wrong);

      // SoftEther hangs up on the rejected PAP (FreeRADIUS said Access-Reject): the core's typed error comes back
      // as a re-prompt, while the list shows the same connect waiting for the next code behind the modal.
      await app.mfa.rejected.waitFor({ timeout: UP.timeout });
      measured.uiWrongCodeToRePromptMs = since(t0);
      expect(await app.mfa.rejected.textContent()).toContain('That code was not accepted');
      expect(await app.mfa.rejectedCode.textContent()).toBe('mfa-rejected');
      expect(await app.mfa.rejectedReason.textContent()).toMatch(
        /the server rejected the password with the one-time code .* — enter the next code/,
      );
      expect(await app.mfa.code.inputValue()).toBe('');
      await expect
        .poll(() => app.list.status('MFA code').textContent(), UP)
        .toBe('Waiting for your one-time code');
      expect(await app.list.detail('MFA code').textContent()).toBe('The last code was not accepted');
      expect(await app.list.toggle('MFA code').getAttribute('aria-checked')).toBe('true');
      expect(
        await waitFor(
          'FreeRADIUS to log the rejected code',
          async () =>
            /Login incorrect \(ferry: the one-time code is not the current one\): \[dave\]/.test(
              await radiusLab.serverLog(),
            ),
          10_000,
        ),
      ).toBe(true);
      await shots.take(app.page, 'otp-rejected');

      const { code } = await freshTotp(SECRET, 15_000);
      codesUsed.push(code);
      const t1 = performance.now();
      await app.mfa.submit(code);
      await app.mfa.dialog.waitFor({ state: 'hidden', timeout: UP.timeout });
      await expect.poll(() => app.list.status('MFA code').textContent(), UP).toBe('Connected');
      measured.uiCodeToConnectedMs = since(t1);
      const ip = (await app.panel.localIp.textContent()) ?? '';
      expect(ip).toMatch(/^192\.168\.30\.\d+$/);
      expect((await ping(ns.name, se.tunnelPeerAddress)).loss).toBe(0);
      await app.panel.open('Diagnostics');
      expect((await app.diagnostics.facts('negotiated'))['PPP authentication']).toBe('pap');
      expect(
        harness!.calls.filter((c) => c.method === 'answerMfa').map((c) => [c.args[1], c.result.type]),
      ).toEqual([
        [wrong, 'success'],
        [code, 'success'],
      ]);
      await app.list.toggle('MFA code').click();
      await expect.poll(() => app.list.status('MFA code').textContent(), UP).toBe('Disconnected');
      measured.uiOtpBaselineMs = await backToBaseline();
    });

    it('UI, push: "approve on your device" with a countdown while the server holds the request; approved → connected', async () => {
      const app = await open();
      const saved = await host!.api.api.saveProfile(pushProfile('mfa-push', 'MFA push'), {
        psk: PSK,
        password: USERS.push.password,
      });
      expect(saved.type).toBe('success');
      await app.list.toggle('MFA push').click();
      const t0 = performance.now();
      await app.mfa.waiting.waitFor({ timeout: UP.timeout });
      await waitPushPending(USERS.push.username);
      expect(await app.mfa.heading.textContent()).toBe('Approve the sign-in on your device');
      expect(await app.mfa.code.count()).toBe(0);
      const first = await countdownSeconds(app);
      expect(first).toBeGreaterThan(50);
      expect(first).toBeLessThanOrEqual(60);
      await new Promise((r) => setTimeout(r, 3500));
      await expect.poll(() => countdownSeconds(app), UP).toBeLessThan(first - 2);
      expect(await app.list.status('MFA push').textContent()).toBe('Approve on your device');
      expect(await app.list.detail('MFA push').textContent()).toBe('Step 6 of 9');
      await shots.take(app.page, 'push-waiting');
      approvePush(USERS.push.username);
      await app.mfa.dialog.waitFor({ state: 'hidden', timeout: UP.timeout });
      await expect.poll(() => app.list.status('MFA push').textContent(), UP).toBe('Connected');
      measured.uiPushApprovedMs = {
        clickToConnected: since(t0),
        serverHeldMs: pushEvents().at(-1)?.elapsedMs,
      };
      expect(pushEvents().at(-1)).toMatchObject({ user: USERS.push.username, event: 'approved' });
      expect((await ping(ns.name, se.tunnelPeerAddress)).loss).toBe(0);
      await app.list.toggle('MFA push').click();
      await expect.poll(() => app.list.status('MFA push').textContent(), UP).toBe('Disconnected');
      await backToBaseline();
    });

    it('UI, push never approved: the failure says so (push-rejected) once the server gives up', async () => {
      const app = await open();
      await app.list.toggle('MFA push').click();
      await app.mfa.waiting.waitFor({ timeout: UP.timeout });
      const t0 = performance.now();
      await app.mfa.dialog.waitFor({ state: 'hidden', timeout: UP.timeout });
      await expect
        .poll(() => app.list.status('MFA push').textContent(), UP)
        .toBe('Failed — PPP authentication');
      measured.uiPushNeverApprovedMs = since(t0);
      expect(pushEvents().at(-1)).toMatchObject({ user: USERS.push.username, event: 'timeout' });
      await app.list.select('MFA push');
      const failure = app.panel.failure;
      expect(await failure.locator('code').textContent()).toBe('push-rejected');
      expect(await failure.textContent()).toMatch(/refused the sign-in after 1\d s without an approval/);
      expect(await app.list.detail('MFA push').textContent()).toMatch(/approve the request on your device/);
      await shots.take(app.page, 'push-failed');
      await backToBaseline();
    });

    it('UI, push: Cancel stops waiting and ends the connect', async () => {
      const app = await open();
      await app.list.toggle('MFA push').click();
      await app.mfa.waiting.waitFor({ timeout: UP.timeout });
      await waitPushPending(USERS.push.username);
      await app.mfa.cancel();
      await app.mfa.dialog.waitFor({ state: 'hidden' });
      await expect.poll(() => app.list.status('MFA push').textContent(), UP).toBe('Disconnected');
      measured.uiPushCancelBaselineMs = await backToBaseline();
      // Let FreeRADIUS's window for the abandoned request pass before the CLI tests use the user again.
      await waitFor(
        'the abandoned push to time out on the server',
        async () => pushEvents().at(-1)?.event === 'timeout',
        20_000,
      );
    });

    it('CLI: --otp with the current TOTP connects; a wrong code exits 13 with mfa-rejected', async () => {
      const file = ns.writeProfile('cli-otp', {
        id: 'cli-otp',
        name: 'CLI OTP',
        server: se.serverAddress,
        userAuth: { username: USERS.otp.username, methods: ['pap'] },
        mfa: { mode: 'otp-append', separator: ',' },
        routing: { mode: 'split', subnets: [] },
      });
      const env = { FERRY_PSK: PSK, FERRY_PASSWORD: USERS.otp.password };
      const wrong = wrongCode();
      codesUsed.push(wrong);
      const bad = await ns.ferry(['connect', file, '--otp', wrong, '--json'], env);
      cliOutput.push(bad.stdout, bad.stderr);
      expect(bad.code).toBe(13);
      const failed = JSON.parse(bad.stdout.trim().split('\n').at(-1)!) as {
        event: string;
        error: { code: string };
      };
      expect(failed).toMatchObject({ event: 'failed', error: { phase: 'auth', code: 'mfa-rejected' } });

      const { code } = await freshTotp(SECRET, 15_000);
      codesUsed.push(code);
      const c = ns.connect([file, '--otp', code], env);
      const up = (await c.waitFor('connected')) as unknown as ConnectedStatus;
      expect(up.connection.state.kind).toBe('connected');
      expect(up.algorithms.pppAuth).toBe('pap');
      expect((await ns.ferry(['disconnect'])).code).toBe(0);
      expect(await c.exited).toBe(0);
      cliOutput.push(c.stdout(), c.stderr());
      await backToBaseline();
    });

    it('CLI: push waits for the approval, then connects', async () => {
      const file = ns.writeProfile('cli-push', { ...pushProfile('cli-push', 'CLI push') });
      const c = ns.connect([file], { FERRY_PSK: PSK, FERRY_PASSWORD: USERS.push.password });
      await waitPushPending(USERS.push.username);
      await new Promise((r) => setTimeout(r, 2000));
      expect(c.events.find((e) => e.event === 'connected')).toBeUndefined();
      approvePush(USERS.push.username);
      const up = (await c.waitFor('connected')) as unknown as ConnectedStatus;
      expect(up.connection.phases.find((p) => p.phase === 'auth')!.durationMs).toBeGreaterThanOrEqual(2000);
      expect((await ns.ferry(['disconnect'])).code).toBe(0);
      expect(await c.exited).toBe(0);
      cliOutput.push(c.stdout(), c.stderr());
      await backToBaseline();
    });

    it('no OTP or password in renderer states, the bridge, the logs of host, helper, CLI and FreeRADIUS, or exports', async () => {
      const app = await open();
      const exports: string[] = [];
      for (const name of ['MFA code', 'MFA push']) {
        await app.list.select(name);
        await app.panel.open('Diagnostics');
        await app.diagnostics.timeline.waitFor();
        const download = await app.diagnostics.export();
        exports.push(readFileSync((await download.path())!, 'utf8'));
      }
      storeStates.push(
        ...(await app.page.evaluate(
          () => (window as unknown as { __ferryStates__: string[] }).__ferryStates__,
        )),
      );
      const secrets: Secret[] = [
        { label: 'PSK', value: PSK },
        { label: 'TOTP secret', value: SECRET },
        ...Object.values(USERS).map((u) => ({ label: `${u.username} password`, value: u.password })),
        ...codesUsed.map((c, i) => ({ label: `one-time code #${i + 1}`, value: c })),
        ...codesUsed.map((c, i) => ({
          label: `password,code #${i + 1}`,
          value: `${USERS.otp.password},${c}`,
        })),
      ];
      expect(storeStates.length).toBeGreaterThan(20);
      expect(leakedSecrets(storeStates.join('\n'), secrets), 'renderer store states').toEqual([]);
      expect(leakedSecrets(harness!.wire.toPage.join('\n'), secrets), 'bridge to the page').toEqual([]);
      expect(leakedSecrets(host!.api.received.join('\n'), secrets), 'host → test lines').toEqual([]);
      expect(leakedSecrets(exports.join('\n'), secrets), 'diagnostics exports').toEqual([]);
      expect(leakedSecrets(host!.logs(), secrets), "the host's log").toEqual([]);
      expect(leakedSecrets(readFileSync(ns.helperLog, 'utf8'), secrets), "the helper's log").toEqual([]);
      expect(
        leakedSecrets(`${cliOutput.join('\n')}\n${readFileSync(ns.cliLog, 'utf8')}`, secrets),
        'CLI',
      ).toEqual([]);
      expect(leakedSecrets(await radiusLab.serverLog(), secrets), 'FreeRADIUS log').toEqual([]);
      measured.leakCheck = { storeStates: storeStates.length, exports: exports.map((e) => e.length) };
    });
  },
);
