/**
 * Typed values of the AVPs RFC 2661 §4.4 defines (plus RFC 3145's PPP Disconnect Cause Code), as one table:
 * attribute number, the M bit we send, and a codec for the value field. Proxy authentication and LCP
 * CONFREQ AVPs are kept opaque (bytes); Ferry never acts on them.
 */
import type { ByteReader, ByteWriter } from '../common/bytes';
import { fail } from '../common/decode';

export interface ResultCodeValue {
  readonly result: number;
  readonly error?: number;
  readonly message?: string;
}

export interface ProtocolVersionValue {
  readonly version: number;
  readonly revision: number;
}

export interface Q931CauseValue {
  readonly cause: number;
  readonly message: number;
  readonly advisory?: string;
}

export interface CallErrorsValue {
  readonly crcErrors: number;
  readonly framingErrors: number;
  readonly hardwareOverruns: number;
  readonly bufferOverruns: number;
  readonly timeoutErrors: number;
  readonly alignmentErrors: number;
}

export interface AccmValue {
  readonly send: number;
  readonly receive: number;
}

export interface PppDisconnectCauseValue {
  readonly code: number;
  readonly protocol: number;
  readonly direction: number;
  readonly message?: string;
}

/** Value type of each known AVP, by name. */
export interface AvpValues {
  messageType: number;
  resultCode: ResultCodeValue;
  protocolVersion: ProtocolVersionValue;
  framingCapabilities: number;
  bearerCapabilities: number;
  tieBreaker: Uint8Array;
  firmwareRevision: number;
  hostName: string;
  vendorName: string;
  assignedTunnelId: number;
  receiveWindowSize: number;
  challenge: Uint8Array;
  q931CauseCode: Q931CauseValue;
  challengeResponse: Uint8Array;
  assignedSessionId: number;
  callSerialNumber: number;
  minimumBps: number;
  maximumBps: number;
  bearerType: number;
  framingType: number;
  calledNumber: string;
  callingNumber: string;
  subAddress: string;
  txConnectSpeed: number;
  physicalChannelId: number;
  initialReceivedLcpConfReq: Uint8Array;
  lastSentLcpConfReq: Uint8Array;
  lastReceivedLcpConfReq: Uint8Array;
  proxyAuthenType: Uint8Array;
  proxyAuthenName: Uint8Array;
  proxyAuthenChallenge: Uint8Array;
  proxyAuthenId: Uint8Array;
  proxyAuthenResponse: Uint8Array;
  callErrors: CallErrorsValue;
  accm: AccmValue;
  randomVector: Uint8Array;
  privateGroupId: Uint8Array;
  rxConnectSpeed: number;
  sequencingRequired: true;
  pppDisconnectCause: PppDisconnectCauseValue;
}

export type AvpName = keyof AvpValues;

export interface AvpSpec<T> {
  /** Attribute Type (vendor ID 0). */
  readonly attribute: number;
  /** Whether Ferry sets the M bit when it sends this AVP (RFC 2661 §4.4, per AVP). */
  readonly mandatory: boolean;
  readonly label: string;
  /** Parses the whole value field; the reader is bounded to it. */
  decode(r: ByteReader): T;
  encode(w: ByteWriter, v: T): void;
}

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const utf8e = new TextEncoder();

function done(r: ByteReader, label: string): void {
  if (r.remaining !== 0) fail('invalid', `${label}: ${r.remaining} unexpected trailing bytes`, r.offset);
}

function u16(label: string): Omit<AvpSpec<number>, 'attribute' | 'mandatory' | 'label'> {
  return {
    decode: (r) => {
      const v = r.u16(label);
      done(r, label);
      return v;
    },
    encode: (w, v) => void w.u16(v),
  };
}

function u32(label: string): Omit<AvpSpec<number>, 'attribute' | 'mandatory' | 'label'> {
  return {
    decode: (r) => {
      const v = r.u32(label);
      done(r, label);
      return v;
    },
    encode: (w, v) => void w.u32(v),
  };
}

function text(label: string, minLength: number): Omit<AvpSpec<string>, 'attribute' | 'mandatory' | 'label'> {
  return {
    decode: (r) => {
      if (r.remaining < minLength)
        fail('invalid', `${label}: at least ${minLength} octets required`, r.offset);
      return utf8.decode(r.rest());
    },
    encode: (w, v) => void w.bytes(utf8e.encode(v)),
  };
}

function octets(
  label: string,
  min: number,
  max = Number.POSITIVE_INFINITY,
): Omit<AvpSpec<Uint8Array>, 'attribute' | 'mandatory' | 'label'> {
  return {
    decode: (r) => {
      if (r.remaining < min || r.remaining > max)
        fail('invalid', `${label}: length ${r.remaining} outside [${min}, ${max}]`, r.offset);
      return r.bytesCopy(r.remaining, label);
    },
    encode: (w, v) => void w.bytes(v),
  };
}

function spec<T>(
  attribute: number,
  mandatory: boolean,
  label: string,
  codec: Omit<AvpSpec<T>, 'attribute' | 'mandatory' | 'label'>,
): AvpSpec<T> {
  return { attribute, mandatory, label, ...codec };
}

/** RFC 2661 §4.4.1–§4.4.6 (and RFC 3145 §3 for type 46). */
export const AVP_SPECS: { readonly [K in AvpName]: AvpSpec<AvpValues[K]> } = {
  messageType: spec(0, true, 'Message Type', u16('Message Type')),
  resultCode: spec(1, true, 'Result Code', {
    decode: (r) => {
      const result = r.u16('Result Code');
      if (r.remaining === 0) return { result };
      const error = r.u16('Error Code');
      if (r.remaining === 0) return { result, error };
      return { result, error, message: utf8.decode(r.rest()) };
    },
    encode: (w, v) => {
      w.u16(v.result);
      if (v.error === undefined && v.message === undefined) return;
      w.u16(v.error ?? 0);
      if (v.message !== undefined) w.bytes(utf8e.encode(v.message));
    },
  }),
  protocolVersion: spec(2, true, 'Protocol Version', {
    decode: (r) => {
      const v = { version: r.u8('Ver'), revision: r.u8('Rev') };
      done(r, 'Protocol Version');
      return v;
    },
    encode: (w, v) => void w.u8(v.version).u8(v.revision),
  }),
  framingCapabilities: spec(3, true, 'Framing Capabilities', u32('Framing Capabilities')),
  bearerCapabilities: spec(4, true, 'Bearer Capabilities', u32('Bearer Capabilities')),
  tieBreaker: spec(5, false, 'Tie Breaker', octets('Tie Breaker', 8, 8)),
  firmwareRevision: spec(6, false, 'Firmware Revision', u16('Firmware Revision')),
  hostName: spec(7, true, 'Host Name', text('Host Name', 1)),
  vendorName: spec(8, false, 'Vendor Name', text('Vendor Name', 0)),
  assignedTunnelId: spec(9, true, 'Assigned Tunnel ID', u16('Assigned Tunnel ID')),
  receiveWindowSize: spec(10, true, 'Receive Window Size', u16('Receive Window Size')),
  challenge: spec(11, true, 'Challenge', octets('Challenge', 1)),
  q931CauseCode: spec(12, true, 'Q.931 Cause Code', {
    decode: (r) => {
      const cause = r.u16('Cause Code');
      const message = r.u8('Cause Msg');
      if (r.remaining === 0) return { cause, message };
      return { cause, message, advisory: utf8.decode(r.rest()) };
    },
    encode: (w, v) => {
      w.u16(v.cause).u8(v.message);
      if (v.advisory !== undefined) w.bytes(utf8e.encode(v.advisory));
    },
  }),
  challengeResponse: spec(13, true, 'Challenge Response', octets('Challenge Response', 16, 16)),
  assignedSessionId: spec(14, true, 'Assigned Session ID', u16('Assigned Session ID')),
  callSerialNumber: spec(15, true, 'Call Serial Number', u32('Call Serial Number')),
  minimumBps: spec(16, true, 'Minimum BPS', u32('Minimum BPS')),
  maximumBps: spec(17, true, 'Maximum BPS', u32('Maximum BPS')),
  bearerType: spec(18, true, 'Bearer Type', u32('Bearer Type')),
  framingType: spec(19, true, 'Framing Type', u32('Framing Type')),
  calledNumber: spec(21, true, 'Called Number', text('Called Number', 0)),
  callingNumber: spec(22, true, 'Calling Number', text('Calling Number', 0)),
  subAddress: spec(23, true, 'Sub-Address', text('Sub-Address', 0)),
  txConnectSpeed: spec(24, true, 'Tx Connect Speed', u32('Tx Connect Speed')),
  physicalChannelId: spec(25, false, 'Physical Channel ID', u32('Physical Channel ID')),
  initialReceivedLcpConfReq: spec(26, false, 'Initial Received LCP CONFREQ', octets('LCP CONFREQ', 0)),
  lastSentLcpConfReq: spec(27, false, 'Last Sent LCP CONFREQ', octets('LCP CONFREQ', 0)),
  lastReceivedLcpConfReq: spec(28, false, 'Last Received LCP CONFREQ', octets('LCP CONFREQ', 0)),
  proxyAuthenType: spec(29, false, 'Proxy Authen Type', octets('Proxy Authen Type', 0)),
  proxyAuthenName: spec(30, false, 'Proxy Authen Name', octets('Proxy Authen Name', 0)),
  proxyAuthenChallenge: spec(31, false, 'Proxy Authen Challenge', octets('Proxy Authen Challenge', 0)),
  proxyAuthenId: spec(32, false, 'Proxy Authen ID', octets('Proxy Authen ID', 0)),
  proxyAuthenResponse: spec(33, false, 'Proxy Authen Response', octets('Proxy Authen Response', 0)),
  callErrors: spec(34, true, 'Call Errors', {
    decode: (r) => {
      r.u16('Reserved');
      const v = {
        crcErrors: r.u32('CRC Errors'),
        framingErrors: r.u32('Framing Errors'),
        hardwareOverruns: r.u32('Hardware Overruns'),
        bufferOverruns: r.u32('Buffer Overruns'),
        timeoutErrors: r.u32('Time-out Errors'),
        alignmentErrors: r.u32('Alignment Errors'),
      };
      done(r, 'Call Errors');
      return v;
    },
    encode: (w, v) =>
      void w
        .u16(0)
        .u32(v.crcErrors)
        .u32(v.framingErrors)
        .u32(v.hardwareOverruns)
        .u32(v.bufferOverruns)
        .u32(v.timeoutErrors)
        .u32(v.alignmentErrors),
  }),
  accm: spec(35, true, 'ACCM', {
    decode: (r) => {
      r.u16('Reserved');
      const v = { send: r.u32('Send ACCM'), receive: r.u32('Receive ACCM') };
      done(r, 'ACCM');
      return v;
    },
    encode: (w, v) => void w.u16(0).u32(v.send).u32(v.receive),
  }),
  randomVector: spec(36, true, 'Random Vector', octets('Random Vector', 1)),
  privateGroupId: spec(37, false, 'Private Group ID', octets('Private Group ID', 0)),
  rxConnectSpeed: spec(38, false, 'Rx Connect Speed', u32('Rx Connect Speed')),
  sequencingRequired: spec(39, true, 'Sequencing Required', {
    decode: (r) => {
      done(r, 'Sequencing Required');
      return true as const;
    },
    encode: () => {},
  }),
  pppDisconnectCause: spec(46, false, 'PPP Disconnect Cause Code', {
    decode: (r) => {
      const code = r.u16('Disconnect Code');
      const protocol = r.u16('Control Protocol Number');
      const direction = r.u8('Direction');
      if (r.remaining === 0) return { code, protocol, direction };
      return { code, protocol, direction, message: utf8.decode(r.rest()) };
    },
    encode: (w, v) => {
      w.u16(v.code).u16(v.protocol).u8(v.direction);
      if (v.message !== undefined) w.bytes(utf8e.encode(v.message));
    },
  }),
};

/** Known AVP name by attribute number (vendor ID 0). */
export const AVP_BY_ATTRIBUTE: ReadonlyMap<number, AvpName> = new Map(
  (Object.keys(AVP_SPECS) as AvpName[]).map((name) => [AVP_SPECS[name].attribute, name]),
);
