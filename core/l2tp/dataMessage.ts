/**
 * Data messages (RFC 2661 §3.1, §5.4): a header with optional Length, Ns/Nr, Offset, then one PPP frame.
 * Two readers: `decodeDataMessage` (ByteReader, total, for tests and tooling) and `parseDataHeader`, the
 * allocation-free hot path that fills a caller-owned struct; tests check they agree on every fuzzed input.
 */
import { ByteReader } from '../common/bytes';
import { type DecodeErrorCode, decoder, fail } from '../common/decode';
import { HDR_L, HDR_O, HDR_P, HDR_S, HDR_T, HDR_VERSION_MASK, L2TP_VERSION } from './constants';

export interface DataMessage {
  readonly tunnelId: number;
  readonly sessionId: number;
  /** Present when the S bit is set. Nr is reserved on data messages and ignored (§3.1). */
  readonly ns?: number;
  readonly nr?: number;
  readonly priority: boolean;
  /** A view into the datagram: the PPP frame (address/control field onwards). */
  readonly payload: Uint8Array;
}

export const decodeDataMessage = decoder((bytes: Uint8Array): DataMessage => {
  const r = new ByteReader(bytes);
  const flags = r.u16('flags');
  if ((flags & HDR_T) !== 0) fail('invalid', 'T bit set: not a data message', 0);
  if ((flags & HDR_VERSION_MASK) !== L2TP_VERSION)
    fail('unsupported', `L2TP version ${flags & HDR_VERSION_MASK}`, 1);
  let end = bytes.length;
  if (flags & HDR_L) {
    const length = r.u16('length');
    if (length > bytes.length) fail('truncated', `length ${length} exceeds datagram of ${bytes.length}`, 2);
    end = length;
  }
  if (end < r.offset) fail('invalid', `length ${end} inside the header`, 2);
  const body = new ByteReader(bytes, r.offset, end);
  const tunnelId = body.u16('tunnel ID');
  const sessionId = body.u16('session ID');
  let seq: { ns: number; nr: number } | undefined;
  if (flags & HDR_S) seq = { ns: body.u16('Ns'), nr: body.u16('Nr') };
  if (flags & HDR_O) {
    const offsetSize = body.u16('offset size');
    body.skip(offsetSize, 'offset pad');
  }
  const payload = body.rest();
  return {
    tunnelId,
    sessionId,
    ...seq,
    priority: (flags & HDR_P) !== 0,
    payload,
  };
});

/** Caller-owned result of `parseDataHeader`; reuse one per receive path. */
export interface DataHeaderFields {
  tunnelId: number;
  sessionId: number;
  /** -1 when the S bit is clear. */
  ns: number;
  priority: boolean;
  payloadStart: number;
  payloadEnd: number;
}

export function newDataHeaderFields(): DataHeaderFields {
  return { tunnelId: 0, sessionId: 0, ns: -1, priority: false, payloadStart: 0, payloadEnd: 0 };
}

/** Why `parseDataHeader` refused a datagram; maps one-to-one onto DecodeErrorCode. */
export type DataHeaderProblem = 'truncated' | 'invalid' | 'unsupported';

/** Allocation-free parse of a data header into `out`; null on success. Never throws. */
export function parseDataHeader(bytes: Uint8Array, out: DataHeaderFields): DataHeaderProblem | null {
  const n = bytes.length;
  if (n < 2) return 'truncated';
  const flags = (bytes[0]! << 8) | bytes[1]!;
  if (flags & HDR_T) return 'invalid';
  if ((flags & HDR_VERSION_MASK) !== L2TP_VERSION) return 'unsupported';
  let p = 2;
  let end = n;
  if (flags & HDR_L) {
    if (n < 4) return 'truncated';
    end = (bytes[2]! << 8) | bytes[3]!;
    if (end > n) return 'truncated';
    p = 4;
    if (end < p) return 'invalid';
  }
  if (p + 4 > end) return 'truncated';
  out.tunnelId = (bytes[p]! << 8) | bytes[p + 1]!;
  out.sessionId = (bytes[p + 2]! << 8) | bytes[p + 3]!;
  p += 4;
  if (flags & HDR_S) {
    if (p + 4 > end) return 'truncated';
    out.ns = (bytes[p]! << 8) | bytes[p + 1]!;
    p += 4;
  } else out.ns = -1;
  if (flags & HDR_O) {
    if (p + 2 > end) return 'truncated';
    const pad = (bytes[p]! << 8) | bytes[p + 1]!;
    p += 2;
    if (p + pad > end) return 'truncated';
    p += pad;
  }
  out.priority = (flags & HDR_P) !== 0;
  out.payloadStart = p;
  out.payloadEnd = end;
  return null;
}

export const DATA_PROBLEM_CODE: Readonly<Record<DataHeaderProblem, DecodeErrorCode>> = {
  truncated: 'truncated',
  invalid: 'invalid',
  unsupported: 'unsupported',
};

/**
 * Frames PPP frames for one session with a precomputed header: no Length bit, no Offset; Ns (and a zero
 * Nr, §3.1) only while sequencing is on (§5.4). The hot path copies the header and, with sequencing, writes Ns.
 */
export class DataFramer {
  private header: Uint8Array;
  private nextNs = 0;

  constructor(
    readonly tunnelId: number,
    readonly sessionId: number,
    sequencing = false,
  ) {
    this.header = DataFramer.buildHeader(tunnelId, sessionId, sequencing);
  }

  private static buildHeader(tunnelId: number, sessionId: number, sequencing: boolean): Uint8Array {
    const h = new Uint8Array(sequencing ? 10 : 6);
    const flags = L2TP_VERSION | (sequencing ? HDR_S : 0);
    h[0] = flags >> 8;
    h[1] = flags & 0xff;
    h[2] = tunnelId >> 8;
    h[3] = tunnelId & 0xff;
    h[4] = sessionId >> 8;
    h[5] = sessionId & 0xff;
    return h;
  }

  get sequencing(): boolean {
    return this.header.length === 10;
  }

  /** Turns Ns on or off; Ns continues where it left off when re-enabled (§5.4). */
  set sequencing(on: boolean) {
    if (on !== this.sequencing) this.header = DataFramer.buildHeader(this.tunnelId, this.sessionId, on);
  }

  private scratch = new Uint8Array(0);

  get headerLength(): number {
    return this.header.length;
  }

  /** Writes the header at `offset` of a caller's buffer (payload to follow); returns the header length. */
  writeHeader(buf: Uint8Array, offset: number): number {
    buf.set(this.header, offset);
    if (this.header.length === 10) {
      buf[offset + 6] = this.nextNs >> 8;
      buf[offset + 7] = this.nextNs & 0xff;
      this.nextNs = (this.nextNs + 1) & 0xffff;
    }
    return this.header.length;
  }

  /**
   * The next header in a buffer reused on every call (for gather sends that copy it before the next call);
   * advances Ns when sequencing.
   */
  nextHeader(): Uint8Array {
    if (this.scratch.length !== this.header.length) this.scratch = new Uint8Array(this.header.length);
    this.writeHeader(this.scratch, 0);
    return this.scratch;
  }

  /** One allocation: header + copy of the PPP frame. */
  frame(ppp: Uint8Array): Uint8Array {
    const out = new Uint8Array(this.header.length + ppp.length);
    out.set(ppp, this.writeHeader(out, 0));
    return out;
  }
}
