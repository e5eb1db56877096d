import { describe, expect, it } from 'vitest';
import { IP_FRAME_HEADER } from '../../../core/ppp/frame';
import { CODE, PROTO } from '../../../core/ppp/protocol';
import { pppd, session, softether } from './linkHarness';

const LCP_REQ = (s: { wire: { log: Array<{ from: string; frame: Uint8Array }> } }) =>
  s.wire.log.filter(
    (m) =>
      m.from === 'a' && m.frame[2] === 0xc0 && m.frame[3] === 0x21 && m.frame[4] === CODE.CONFIGURE_REQUEST,
  );

describe('PppLink against a SoftEther-like server', () => {
  it('drops the rejected Magic-Number, follows EAP-TLS → Nak → LCP renegotiation → MS-CHAPv2, takes IPCP Naks', async () => {
    // A server whose EAP-Nak fallback works; SoftEther 5.01's stalls (next test).
    const s = await session(softether({ eapNakStalls: false }));
    const o = s.outcome();
    expect(o?.error).toBeUndefined();
    expect(o?.info).toEqual({
      localIp: '192.168.30.10',
      peerIp: '192.168.30.1',
      dns: ['192.168.30.1'],
      mru: 1400,
      mtu: 1400,
      authMethod: 'mschapv2',
      authMessage: 'Access granted',
      ipv6: null,
    });
    expect(s.link.state).toBe('opened');
    // Our first LCP request (and any copy of it) carried MRU 1400 + Magic-Number; after the reject, never again.
    const reqs = LCP_REQ(s).map((m) => Buffer.from(m.frame.subarray(8)).toString('hex'));
    const firstWithout = reqs.indexOf('01040578');
    expect(firstWithout).toBeGreaterThan(0);
    expect(reqs.slice(0, firstWithout).every((r) => /^010405780506[0-9a-f]{8}$/.test(r))).toBe(true);
    expect(reqs.slice(firstWithout).every((r) => r === '01040578')).toBe(true);
    // EAP was Nak'd toward EAP-MSCHAPv2 and EAP-MD5, then SoftEther Protocol-Rejected EAP and renegotiated.
    const nak = s.wire.log.find(
      (m) => m.from === 'a' && m.frame[2] === 0xc2 && m.frame[3] === 0x27 && m.frame[8] === 3,
    );
    expect(nak && [...nak.frame.subarray(9)]).toEqual([26, 4]);
    expect(s.phases.map((p) => `${p.phase}:${p.kind}${p.kind === 'end' ? `:${p.ok}` : ''}`)).toEqual([
      'lcp:start',
      'lcp:end:true',
      'auth:start',
      'auth:end:false',
      'lcp:start',
      'lcp:end:true',
      'auth:start',
      'auth:end:true',
      'ipcp:start',
      'ipcp:end:true',
    ]);
  });

  it('SoftEther 5.01 after our EAP-Nak: renegotiates LCP but never challenges → eap-fallback-stalled with a hint', async () => {
    const s = await session(softether(), { authTimeoutMs: 10_000 });
    await s.run(11_000);
    const e = s.outcome()?.error;
    expect(e).toMatchObject({ phase: 'auth', code: 'eap-fallback-stalled' });
    expect(e?.message).toContain('EAP-TLS');
    expect(e?.hint).toContain('remove EAP');
  });

  it('with EAP forbidden, Naks EAP and gets MS-CHAPv2 next', async () => {
    const s = await session(softether(), { authMethods: ['mschapv2', 'pap'] });
    expect(s.outcome()?.info?.authMethod).toBe('mschapv2');
  });

  it('with only PAP allowed, Naks EAP and MS-CHAPv2 and authenticates with PAP', async () => {
    const s = await session(softether(), { authMethods: ['pap'] });
    expect(s.outcome()?.info).toMatchObject({
      authMethod: 'pap',
      authMessage: 'Welcome',
      localIp: '192.168.30.10',
    });
  });

  it('with only CHAP-MD5 allowed: auth-method-unavailable, naming what the server offered', async () => {
    const s = await session(softether(), { authMethods: ['chap-md5'] });
    const e = s.outcome()?.error;
    expect(e?.code).toBe('auth-method-unavailable');
    expect(e?.phase).toBe('auth');
    expect(e?.message).toContain('offered: EAP, MS-CHAPv2, PAP');
    expect(e?.message).toContain('allowed: CHAP-MD5');
    expect(s.link.state).toBe('failed');
  });

  it('EAP-TLS only and EAP-Failure after our Nak (no fallback): auth-method-unavailable', async () => {
    const s = await session(
      softether({ flavour: 'pppd', authOrder: ['eap'], eapMethod: 'tls', openIpv6cp: false }),
    );
    expect(s.outcome()?.error?.code).toBe('auth-method-unavailable');
    expect(s.outcome()?.error?.message).toContain('EAP-TLS');
  });
});

describe('PppLink against a pppd-like server', () => {
  it('requires MS-CHAPv2, verifies S=, Protocol-Rejects IPV6CP, gets both DNS servers', async () => {
    const s = await session(pppd());
    expect(s.outcome()?.info).toMatchObject({
      localIp: '10.99.0.10',
      peerIp: '10.99.0.1',
      dns: ['10.99.0.1', '10.99.0.2'],
      authMethod: 'mschapv2',
    });
    expect(s.server.protocolRejects).toEqual([PROTO.IPV6CP]);
    expect(s.link.counterSnapshot().framesIn.ipv6cp).toBe(1);
  });

  it('opens IPV6CP when enabled', async () => {
    const s = await session(pppd(), { ipv6: true });
    const info = s.outcome()?.info;
    expect(s.server.protocolRejects).toEqual([]);
    expect(info?.ipv6?.peerInterfaceId).toBe('0200000000000001');
    expect(info?.ipv6?.localLinkLocal).toMatch(/^fe80::[0-9a-f:]+$/);
    expect(info?.ipv6?.peerLinkLocal).toBe('fe80::200:0:0:1');
  });

  it('accepts CHAP-MD5 when allowed (pppd require-chap) and Naks it toward MS-CHAPv2 when not', async () => {
    const a = await session(pppd({ authOrder: ['chap-md5', 'mschapv2'] }));
    expect(a.outcome()?.info?.authMethod).toBe('chap-md5');
    const b = await session(pppd({ authOrder: ['chap-md5', 'mschapv2'] }), {
      authMethods: ['mschapv2', 'eap', 'pap'],
    });
    expect(b.outcome()?.info?.authMethod).toBe('mschapv2');
  });

  it('EAP-MSCHAPv2 and EAP-MD5', async () => {
    const a = await session(pppd({ authOrder: ['eap'], eapMethod: 'mschapv2' }));
    expect(a.outcome()?.info?.authMethod).toBe('eap-mschapv2');
    const b = await session(pppd({ authOrder: ['eap'], eapMethod: 'md5' }));
    expect(b.outcome()?.info?.authMethod).toBe('eap-md5');
    // EAP-MD5 is only offered when CHAP-MD5 is allowed too.
    const c = await session(pppd({ authOrder: ['eap'], eapMethod: 'md5' }), {
      authMethods: ['mschapv2', 'eap'],
    });
    expect(c.outcome()?.error?.code).toBe('auth-method-unavailable');
  });
});

describe('authentication failures', () => {
  const wrong = 'not-the-password';

  it('MS-CHAPv2 E=691 → auth-failed with the documented hint', async () => {
    const s = await session(pppd(), {}, wrong);
    const e = s.outcome()?.error;
    expect(e?.code).toBe('auth-failed');
    expect(e?.describe()).toBe(
      'PPP authentication: the server rejected the user name or password (MS-CHAPv2 E=691); server says "Authentication failed" — check the credentials',
    );
    // We hang up ourselves: LCP Terminate-Request follows the failure.
    expect(
      s.wire.log.some((m) => m.from === 'a' && m.frame[3] === 0x21 && m.frame[4] === CODE.TERMINATE_REQUEST),
    ).toBe(true);
  });

  it.each([
    [648, 'password-expired'],
    [647, 'account-disabled'],
    [649, 'no-dialin-permission'],
    [646, 'restricted-hours'],
    [709, 'auth-failed'],
  ])('MS-CHAPv2 E=%i → %s', async (code, expected) => {
    const s = await session(pppd({ failureCode: code }), {}, wrong);
    expect(s.outcome()?.error?.code).toBe(expected);
    expect(s.outcome()?.error?.message).toContain(`E=${code}`);
  });

  it.each([
    ['PAP', softether(), { authMethods: ['pap' as const] }],
    ['CHAP-MD5', pppd({ authOrder: ['chap-md5'] }), {}],
    ['EAP-MSCHAPv2', pppd({ authOrder: ['eap'], eapMethod: 'mschapv2' }), {}],
    ['EAP-MD5', pppd({ authOrder: ['eap'], eapMethod: 'md5' }), {}],
  ])('%s with a wrong password → auth-failed', async (label, profile, opts) => {
    const s = await session(profile, opts, wrong);
    expect(s.outcome()?.error?.code).toBe('auth-failed');
    expect(s.outcome()?.error?.message).toContain(label);
  });

  it.each(['wrong', 'missing'] as const)(
    'MS-CHAPv2 with a %s authenticator response → server-not-authenticated',
    async (bad) => {
      const s = await session(pppd({ badAuthenticator: bad }));
      expect(s.outcome()?.error?.code).toBe('server-not-authenticated');
      expect(s.outcome()?.error?.message).toContain(bad === 'wrong' ? 'is wrong' : 'without a valid');
      expect(s.link.state).toBe('failed');
    },
  );

  it('EAP-MSCHAPv2 with a wrong authenticator response → server-not-authenticated', async () => {
    const s = await session(pppd({ authOrder: ['eap'], eapMethod: 'mschapv2', badAuthenticator: 'wrong' }));
    expect(s.outcome()?.error?.code).toBe('server-not-authenticated');
  });
});

describe('IPCP', () => {
  it('a server that Naks the address forever: Max-Failure, the option is dropped, ipcp-no-address', async () => {
    const s = await session(pppd({ nakAddressForever: '0.0.0.0' }));
    expect(s.outcome()?.error?.code).toBe('ipcp-no-address');
    expect(s.outcome()?.error?.phase).toBe('ipcp');
  });

  it('a server that rejects IP-Address: ipcp-no-address', async () => {
    const s = await session(pppd({ rejectIpAddress: true }));
    expect(s.outcome()?.error?.code).toBe('ipcp-no-address');
  });

  it('without requestDns no DNS options are sent', async () => {
    const s = await session(pppd(), { requestDns: false });
    expect(s.outcome()?.info?.dns).toEqual([]);
  });
});

describe('link lifecycle', () => {
  it('carries IP both ways; sendParts gets the shared header and the packet without a copy', async () => {
    const parts: Array<[Uint8Array, Uint8Array]> = [];
    const s = await session(pppd());
    const got: string[] = [];
    s.link.onIp((p) => got.push(Buffer.from(p).toString('hex')));
    s.server.sendIp(Uint8Array.of(0x45, 1, 2));
    await s.run(100);
    expect(got).toEqual(['450102']);
    const pkt = Uint8Array.of(0x45, 9, 9);
    expect(s.link.sendIp(pkt)).toBe(true);
    await s.run(100);
    expect(Buffer.from(s.server.ipReceived[0]!).toString('hex')).toBe('450909');

    const t = await session(pppd(), {
      sendParts: (h, p) => {
        parts.push([h, p]);
      },
    });
    t.link.sendIp(pkt);
    expect(parts[0]![0]).toBe(IP_FRAME_HEADER);
    expect(parts[0]![1]).toBe(pkt);
    const c = t.link.counterSnapshot();
    expect(c.framesOut.ip).toBe(1);
    expect(c.framesIn.lcp).toBeGreaterThan(0);
  });

  it('drops IP before the network layer is open and counts it', async () => {
    const s = await session(pppd(), {}, 'wrong');
    expect(s.link.sendIp(Uint8Array.of(0x45))).toBe(false);
    expect(s.link.counterSnapshot().ipDropped).toBe(1);
  });

  it('close(): Terminate-Request, Terminate-Ack, closed, down(null)', async () => {
    const s = await session(pppd());
    const downs: unknown[] = [];
    s.link.events.on('down', (e) => downs.push(e));
    const closed = s.link.close();
    await s.run(500);
    await closed;
    expect(s.link.state).toBe('closed');
    expect(s.server.terminated).toBe(true);
    expect(downs).toEqual([null]);
    expect(s.clock.pendingTimers).toBe(0);
  });

  it('close() with a silent server resolves at the deadline', async () => {
    const s = await session(pppd(), { closeTimeoutMs: 2000 });
    s.wire.filter = () => 0;
    let done = false;
    void s.link.close().then(() => {
      done = true;
    });
    await s.run(1900);
    expect(done).toBe(false);
    await s.run(200);
    expect([done, s.link.state]).toEqual([true, 'closed']);
    expect(s.clock.pendingTimers).toBe(0);
  });

  it('close() during bring-up rejects start() with cancelled', async () => {
    const s = await session(pppd({ silent: true }));
    expect(s.outcome()).toBeUndefined();
    const closed = s.link.close();
    await s.run(5000);
    await closed;
    expect(s.outcome()?.error?.code).toBe('cancelled');
    expect(s.link.state).toBe('closed');
    expect(s.clock.pendingTimers).toBe(0);
  });

  it('peer Terminate after the link is up → down(peer-terminated) in phase established', async () => {
    const s = await session(pppd());
    const downs: Array<{ code: string; phase: string } | null> = [];
    s.link.events.on('down', (e) => downs.push(e && { code: e.code, phase: e.phase }));
    s.server.terminate('Administrator disconnect');
    await s.run(5000);
    expect(downs).toEqual([{ code: 'peer-terminated', phase: 'established' }]);
    expect(s.link.state).toBe('failed');
  });

  it('a server requiring MPPE hangs up after CCP is rejected: the hint says so', async () => {
    const s = await session(pppd({ requireMppe: true, openIpv6cp: false }));
    const e = s.outcome()?.error;
    expect([e?.code, e?.phase]).toEqual(['peer-terminated', 'ipcp']);
    expect(e?.message).toContain('MPPE required');
    expect(e?.hint).toContain('MPPE');
  });

  it('LCP: Max-Configure unanswered requests → timeout in phase lcp', async () => {
    const s = await session(pppd({ silent: true }), { lcp: { restartMs: 500, maxConfigure: 3 } });
    const e = s.outcome()?.error;
    expect([e?.phase, e?.code]).toEqual(['lcp', 'timeout']);
    expect(LCP_REQ(s).length).toBe(3);
  });

  it('the authentication timeout is configurable (push-MFA waits)', async () => {
    const s = await session(pppd({ silentAuth: true }), { authTimeoutMs: 60_000 });
    await s.run(55_000, 1000);
    expect(s.outcome()).toBeUndefined();
    await s.run(6000, 1000);
    const e = s.outcome()?.error;
    expect([e?.phase, e?.code]).toEqual(['auth', 'timeout']);
    expect(e?.message).toContain('60000 ms');
  });

  it('answers LCP Echo-Requests and detects a dead peer with its own echoes', async () => {
    const s = await session(pppd(), { echoIntervalMs: 1000, echoFailures: 3 });
    expect(s.outcome()?.info).toBeDefined();
    await s.run(10_000);
    const c = s.link.counterSnapshot();
    expect(c.echoSent).toBeGreaterThanOrEqual(9);
    expect(c.echoReplies).toBe(c.echoSent);
    const dead: string[] = [];
    s.link.events.on('link-dead', () => dead.push('dead'));
    s.link.events.on('down', (e) => dead.push(e?.code ?? 'null'));
    s.wire.filter = (from) => (from === 'b' ? 0 : 1);
    await s.run(5000);
    expect(dead).toEqual(['dead', 'link-dead']);
    expect(s.link.state).toBe('failed');
  });

  it("ccp: 'protocol-reject' answers CCP with an LCP Protocol-Reject instead of the option-rejecting automaton", async () => {
    const s = await session(pppd({ requireMppe: true, openIpv6cp: false }), { ccp: 'protocol-reject' });
    expect(s.server.protocolRejects).toContain(PROTO.CCP);
    expect(s.outcome()?.info?.localIp).toBe('10.99.0.10');
  });

  it('Protocol-Rejects an unknown protocol and counts it', async () => {
    const s = await session(pppd());
    s.link.receive(Uint8Array.of(0xff, 0x03, 0x40, 0x21, 1, 2, 3));
    await s.run(100);
    expect(s.server.protocolRejects).toContain(0x4021);
    expect(s.link.counterSnapshot().unknownProtocols).toBe(1);
    s.link.receive(Uint8Array.of(0xff, 0x03, 0xc0, 0x20));
    expect(s.link.counterSnapshot().malformed).toBe(1);
  });
});
