import { describe, expect, it } from 'vitest';
import { ByteWriter, fromHex, toHex } from '../../../core/common/bytes';
import { type Avp, avp, decodeAvps, encodeAvps, writeAvp } from '../../../core/l2tp/avp';
import { AVP_SPECS, type AvpName, type AvpValues } from '../../../core/l2tp/avpValues';
import { MessageType } from '../../../core/l2tp/constants';
import { fuzzDecoder } from '../../support/fuzz';

function decodeOne(hex: string): Avp {
  const r = decodeAvps(fromHex(hex));
  if (!r.ok) throw new Error(r.error.message);
  expect(r.value).toHaveLength(1);
  return r.value[0]!;
}

/** One sample value per AVP of RFC 2661 §4.4, to round-trip every codec in the table. */
const SAMPLES: { [K in AvpName]: AvpValues[K] } = {
  messageType: MessageType.ICCN,
  resultCode: { result: 2, error: 8, message: 'unknown AVP' },
  protocolVersion: { version: 1, revision: 0 },
  framingCapabilities: 3,
  bearerCapabilities: 2,
  tieBreaker: fromHex('0102030405060708'),
  firmwareRevision: 0x0690,
  hostName: 'ferry',
  vendorName: 'Ferry',
  assignedTunnelId: 0xbeef,
  receiveWindowSize: 16,
  challenge: fromHex('00112233'),
  q931CauseCode: { cause: 16, message: 0x5a, advisory: 'normal clearing' },
  challengeResponse: new Uint8Array(16).fill(7),
  assignedSessionId: 0x2a2a,
  callSerialNumber: 0xdeadbeef,
  minimumBps: 9600,
  maximumBps: 100_000_000,
  bearerType: 2,
  framingType: 1,
  calledNumber: '5551234',
  callingNumber: '5556789',
  subAddress: '12',
  txConnectSpeed: 10_000_000,
  physicalChannelId: 7,
  initialReceivedLcpConfReq: fromHex('0101000e'),
  lastSentLcpConfReq: fromHex('0102000e'),
  lastReceivedLcpConfReq: fromHex('0103000e'),
  proxyAuthenType: fromHex('0002'),
  proxyAuthenName: new TextEncoder().encode('alice'),
  proxyAuthenChallenge: fromHex('abcdef'),
  proxyAuthenId: fromHex('0001'),
  proxyAuthenResponse: fromHex('99'),
  callErrors: {
    crcErrors: 1,
    framingErrors: 2,
    hardwareOverruns: 3,
    bufferOverruns: 4,
    timeoutErrors: 5,
    alignmentErrors: 6,
  },
  accm: { send: 0xffffffff, receive: 0 },
  randomVector: fromHex('0011223344556677'),
  privateGroupId: fromHex('42'),
  rxConnectSpeed: 54_000_000,
  sequencingRequired: true,
  pppDisconnectCause: { code: 3, protocol: 0xc021, direction: 1, message: 'terminated' },
};

describe('AVP codec (RFC 2661 §4.1, §4.4)', () => {
  it('encodes the Message Type AVP of an SCCRQ as in §4.4.1 (M bit, length 8, vendor 0, type 0)', () => {
    expect(toHex(encodeAvps([avp('messageType', MessageType.SCCRQ)]))).toBe('8008000000000001');
    expect(decodeOne('8008000000000001')).toEqual({ name: 'messageType', mandatory: true, value: 1 });
  });

  it('decodes a Result Code with error code and message, and one with the result code only (§4.4.2)', () => {
    expect(decodeOne('800f000000010002000648656c6c6f')).toEqual({
      name: 'resultCode',
      mandatory: true,
      value: { result: 2, error: 6, message: 'Hello' },
    });
    expect(decodeOne('800800000001' + '0001')).toEqual({
      name: 'resultCode',
      mandatory: true,
      value: { result: 1 },
    });
  });

  it("decodes SoftEther's StopCCN Result Code (a USHORT[4] written in host order) without failing", () => {
    expect(decodeOne('800e00000001' + '0000060000000000')).toEqual({
      name: 'resultCode',
      mandatory: true,
      value: { result: 0, error: 0x0600, message: '\u0000\u0000\u0000\u0000' },
    });
  });

  it('round-trips every AVP of the table with its default M bit', () => {
    for (const name of Object.keys(SAMPLES) as AvpName[]) {
      const a = avp(name, SAMPLES[name] as never);
      const bytes = encodeAvps([a]);
      expect(bytes[0]! & 0x80, name).toBe(AVP_SPECS[name].mandatory ? 0x80 : 0);
      expect(((bytes[0]! & 0x03) << 8) | bytes[1]!, `${name} length`).toBe(bytes.length);
      const back = decodeAvps(bytes);
      expect(back.ok && back.value, name).toEqual([a]);
    }
  });

  it('keeps an unknown AVP opaque with its M bit, vendor and value', () => {
    expect(decodeOne('800a0000007b01020304')).toMatchObject({
      name: 'opaque',
      why: 'unknown',
      mandatory: true,
      vendorId: 0,
      attribute: 123,
      value: fromHex('01020304'),
    });
    // A vendor-specific AVP (Cisco = 9) with a standard attribute number is not the standard AVP.
    expect(decodeOne('0008000900090007')).toMatchObject({
      name: 'opaque',
      why: 'unknown',
      mandatory: false,
      vendorId: 9,
      attribute: 9,
    });
  });

  it('keeps a hidden AVP opaque (no tunnel secret) and refuses to send one (§4.3)', () => {
    const hidden = decodeOne('c00c00000009aabbccddeeff');
    expect(hidden).toMatchObject({
      name: 'opaque',
      why: 'hidden',
      hidden: true,
      mandatory: true,
      attribute: 9,
    });
    expect(() => encodeAvps([hidden])).toThrow(/hidden/);
  });

  it('treats reserved header bits as unrecognised (§4.1) and reproduces them on re-encoding', () => {
    const a = decodeOne('84080000000900aa');
    expect(a).toMatchObject({ name: 'opaque', why: 'reserved-bits', reservedBits: 1 });
    expect(toHex(encodeAvps([a]))).toBe('84080000000900aa');
  });

  it('marks a known AVP with a wrong-sized value as malformed instead of failing the list', () => {
    expect(decodeOne('8009000000090001ff')).toMatchObject({
      name: 'opaque',
      why: 'malformed',
      attribute: 9,
      reason: expect.stringContaining('trailing'),
    });
    expect(decodeOne('800600000002')).toMatchObject({ name: 'opaque', why: 'malformed', attribute: 2 });
  });

  it('rejects AVP framing errors as a whole', () => {
    expect(decodeAvps(fromHex('8008000000'))).toMatchObject({ ok: false, error: { code: 'truncated' } });
    expect(decodeAvps(fromHex('800500000000'))).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect(decodeAvps(fromHex('8010000000070102'))).toMatchObject({
      ok: false,
      error: { code: 'truncated' },
    });
  });

  it('refuses values longer than the 10-bit length field allows', () => {
    const w = new ByteWriter();
    expect(() => writeAvp(w, avp('hostName', 'x'.repeat(1018)))).toThrow(RangeError);
    expect(() => writeAvp(w, avp('hostName', 'x'.repeat(1017)))).not.toThrow();
  });

  it('survives 10^5 fuzzed inputs and re-encodes what it accepts to the same AVPs', () => {
    const seeds = (Object.keys(SAMPLES) as AvpName[]).map((n) => encodeAvps([avp(n, SAMPLES[n] as never)]));
    seeds.push(fromHex('c00c00000009aabbccddeeff'), fromHex('800a0000007b01020304'));
    const stats = fuzzDecoder('decodeAvps', decodeAvps, seeds, {
      check: (avps) => {
        if (avps.some((a) => a.name === 'opaque' && a.hidden)) return;
        const again = decodeAvps(encodeAvps(avps));
        expect(again.ok && again.value).toEqual(avps);
      },
    });
    expect(stats.ok).toBeGreaterThan(1000);
  });
});
