import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../core/common/bytes';
import { avp, findAvp } from '../../../core/l2tp/avp';
import { MessageType } from '../../../core/l2tp/constants';
import {
  type ControlMessage,
  decodeControlMessage,
  encodeControlMessage,
  messageTypeOf,
} from '../../../core/l2tp/controlMessage';
import { describeResult, peerDisconnect, peerStop } from '../../../core/l2tp/errors';
import { buildCdn, buildIccn, buildIcrq, buildSccrq, parseSccrp } from '../../../core/l2tp/messages';
import { fuzzDecoder } from '../../support/fuzz';

const hex = (s: string) => fromHex(s.replace(/\s+/g, ''));

/** SCCRP as SoftEther 5.01 builds it (Proto_L2TP.c): non-mandatory caps, vendor and window; our tunnel 0x1234. */
const SOFTETHER_SCCRP = hex(`
  c802 0052 1234 0000 0000 0001
  8008 0000 0000 0002
  8008 0000 0002 0100
  000a 0000 0003 00000003
  000a 0000 0004 00000003
  8008 0000 0007 766d
  000a 0000 0008 4c325450
  8008 0000 0009 0007
  0008 0000 000a 0010`);

/** SCCRP as xl2tpd 1.3.18 builds it (control.c, avpsend.c): vendor "xelerance.com", firmware 0x0690, RWS 4. */
const XL2TPD_SCCRP = hex(`
  c802 0067 1234 0000 0000 0001
  8008 0000 0000 0002
  8008 0000 0002 0100
  800a 0000 0003 00000003
  800a 0000 0004 00000003
  0008 0000 0006 0690
  800c 0000 0007 6c3274707666
  0013 0000 0008 78656c6572616e63652e636f6d
  8008 0000 0009 5a5a
  8008 0000 000a 0004`);

/** SoftEther's CDN: Assigned Session, Result Code 3, PPP Disconnect Cause Code (RFC 3145) for LCP. */
const SOFTETHER_CDN = hex(`
  c802 0031 1234 2a2a 0003 0004
  8008 0000 0000 000e
  8008 0000 000e 0b0b
  800a 0000 0001 00030000
  000b 0000 002e 0001 c021 01`);

/** A ZLB acknowledgement (RFC 2661 §5.8): header only. */
const ZLB = hex('c802 000c 1234 0000 0002 0005');

function decoded(bytes: Uint8Array): ControlMessage {
  const r = decodeControlMessage(bytes);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

describe('control message codec (RFC 2661 §3.1)', () => {
  it("decodes SoftEther's SCCRP and re-encodes it byte for byte", () => {
    const m = decoded(SOFTETHER_SCCRP);
    expect(m).toMatchObject({ tunnelId: 0x1234, sessionId: 0, ns: 0, nr: 1 });
    expect(messageTypeOf(m)).toBe(MessageType.SCCRP);
    const sccrp = parseSccrp(m.avps);
    expect(sccrp).toEqual({
      ok: true,
      value: expect.objectContaining({
        assignedTunnelId: 7,
        hostName: 'vm',
        vendorName: 'L2TP',
        receiveWindowSize: 16,
        framingCapabilities: 3,
        bearerCapabilities: 3,
        challenge: false,
        missing: [],
      }),
    });
    expect(toHex(encodeControlMessage(m))).toBe(toHex(SOFTETHER_SCCRP));
  });

  it("decodes xl2tpd's SCCRP and re-encodes it byte for byte", () => {
    const m = decoded(XL2TPD_SCCRP);
    expect(findAvp(m.avps, 'vendorName')).toBe('xelerance.com');
    expect(findAvp(m.avps, 'firmwareRevision')).toBe(0x0690);
    expect(findAvp(m.avps, 'assignedTunnelId')).toBe(0x5a5a);
    expect(toHex(encodeControlMessage(m))).toBe(toHex(XL2TPD_SCCRP));
  });

  it("decodes SoftEther's CDN including the RFC 3145 PPP Disconnect Cause", () => {
    const m = decoded(SOFTETHER_CDN);
    expect(messageTypeOf(m)).toBe(MessageType.CDN);
    expect(findAvp(m.avps, 'resultCode')).toEqual({ result: 3, error: 0 });
    expect(findAvp(m.avps, 'pppDisconnectCause')).toEqual({ code: 1, protocol: 0xc021, direction: 1 });
    expect(peerDisconnect(findAvp(m.avps, 'resultCode')).message).toContain('administrative reasons');
  });

  it("makes a readable error of SoftEther's NUL-padded StopCCN Result Code", () => {
    const e = peerStop({ result: 0, error: 0x0600, message: '\u0000\u0000\u0000\u0000' });
    expect(e).toMatchObject({ phase: 'l2tp-tunnel', code: 'peer-stop' });
    expect(e.message).not.toContain('\u0000');
    expect(e.hint).toContain('SoftEther');
    expect(describeResult({ result: 2, error: 8, message: 'x' }, 'tunnel')).toBe(
      'result 2 (general error), error 8 (shut down due to receipt of an unknown AVP with the M bit set): "x"',
    );
  });

  it('decodes a ZLB as a message without AVPs', () => {
    const m = decoded(ZLB);
    expect(m).toEqual({ tunnelId: 0x1234, sessionId: 0, ns: 2, nr: 5, avps: [] });
    expect(messageTypeOf(m)).toBeNull();
    expect(toHex(encodeControlMessage(m))).toBe(toHex(ZLB));
  });

  it('ignores bytes after the Length field', () => {
    const padded = new Uint8Array(ZLB.length + 3);
    padded.set(ZLB);
    expect(decoded(padded).avps).toEqual([]);
  });

  it('refuses what §3.1 forbids for control messages', () => {
    const bad = (h: string) => decodeControlMessage(hex(h));
    expect(bad('4802 000c 1234 0000 0000 0000')).toMatchObject({ ok: false, error: { code: 'invalid' } }); // T clear
    expect(bad('8802 000c 1234 0000 0000 0000')).toMatchObject({ ok: false, error: { code: 'invalid' } }); // no L
    expect(bad('c002 000c 1234 0000 0000 0000')).toMatchObject({ ok: false, error: { code: 'invalid' } }); // no S
    expect(bad('ca02 000c 1234 0000 0000 0000')).toMatchObject({ ok: false, error: { code: 'invalid' } }); // O
    expect(bad('c803 000c 1234 0000 0000 0000')).toMatchObject({ ok: false, error: { code: 'unsupported' } });
    expect(bad('c802 000b 1234 0000 0000 0000')).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect(bad('c802 0010 1234 0000 0000 0000')).toMatchObject({ ok: false, error: { code: 'truncated' } });
    // First AVP must be the Message Type (§4.4.1).
    expect(bad('c802 0014 1234 0000 0000 0000 8008 0000 0009 0001')).toMatchObject({ ok: false });
  });

  it('builds an SCCRQ with what §6.1 requires and nothing hidden, Tie Breaker or Challenge', () => {
    const avps = buildSccrq({
      assignedTunnelId: 0x4242,
      receiveWindow: 8,
      hostName: 'ferry',
      vendorName: 'Ferry',
      firmwareRevision: 0x0100,
    });
    const m = decoded(encodeControlMessage({ tunnelId: 0, sessionId: 0, ns: 0, nr: 0, avps }));
    expect(m.avps.map((a) => a.name)).toEqual([
      'messageType',
      'protocolVersion',
      'hostName',
      'framingCapabilities',
      'assignedTunnelId',
      'receiveWindowSize',
      'firmwareRevision',
      'vendorName',
    ]);
    expect(m.avps.filter((a) => a.mandatory).map((a) => a.name)).toEqual([
      'messageType',
      'protocolVersion',
      'hostName',
      'framingCapabilities',
      'assignedTunnelId',
      'receiveWindowSize',
    ]);
    expect(findAvp(m.avps, 'framingCapabilities')).toBe(3);
  });

  it('builds ICRQ, ICCN and CDN per §6.9, §6.11, §6.13', () => {
    expect(buildIcrq({ assignedSessionId: 9, callSerialNumber: 1 }).map((a) => a.name)).toEqual([
      'messageType',
      'assignedSessionId',
      'callSerialNumber',
    ]);
    const iccn = buildIccn({ txConnectSpeed: 1e8, framingType: 1, sequencingRequired: true });
    expect(iccn.map((a) => a.name)).toEqual([
      'messageType',
      'txConnectSpeed',
      'framingType',
      'sequencingRequired',
    ]);
    const cdn = buildCdn(9, { result: 3 }, { cause: 16, message: 0 });
    expect(findAvp(cdn, 'assignedSessionId')).toBe(9);
    expect(findAvp(cdn, 'q931CauseCode')).toEqual({ cause: 16, message: 0 });
  });

  it('validates SCCRPs: Assigned Tunnel ID required, version 1.0 only, other omissions tolerated', () => {
    const base = [avp('messageType', MessageType.SCCRP)];
    expect(parseSccrp(base)).toMatchObject({ ok: false, error: { resultCode: 2, errorCode: 6 } });
    expect(
      parseSccrp([...base, avp('assignedTunnelId', 5), avp('protocolVersion', { version: 2, revision: 0 })]),
    ).toMatchObject({ ok: false, error: { resultCode: 5 } });
    expect(parseSccrp([...base, avp('assignedTunnelId', 5)])).toMatchObject({
      ok: true,
      value: { missing: ['Protocol Version', 'Host Name', 'Framing Capabilities'] },
    });
  });

  it('survives 10^5 fuzzed inputs and re-encodes what it accepts to the same message', () => {
    const seeds = [SOFTETHER_SCCRP, XL2TPD_SCCRP, SOFTETHER_CDN, ZLB];
    const stats = fuzzDecoder('decodeControlMessage', decodeControlMessage, seeds, {
      check: (m) => {
        if (m.avps.some((a) => a.name === 'opaque' && a.hidden)) return;
        const again = decodeControlMessage(encodeControlMessage(m));
        expect(again.ok && again.value).toEqual(m);
      },
    });
    expect(stats.ok).toBeGreaterThan(1000);
  });
});
