/**
 * CCP (RFC 1962) as an option table that agrees to no compression: our request is empty and every option the
 * peer proposes (MPPE, Deflate, BSD-Compress, …) is Configure-Rejected. Run "silent" (we never start CCP), so a
 * peer that does not open CCP never sees it; one that does ends with CCP Opened and nothing compressed.
 */
import { type OptionTable, REJECT, type Verdict } from './negotiation';
import type { ConfigOption } from './options';

export const CCP_OPT_MPPE = 18; // RFC 3078 §2.1

export class CcpOptions implements OptionTable {
  /** The peer proposed MPPE (a server that requires encryption will then hang up; used for the hint). */
  peerWantedMppe = false;

  reset(): void {}

  buildRequest(): ConfigOption[] {
    return [];
  }

  onAck(): void {}

  onNak(): boolean {
    return true; // we requested nothing, so there is nothing to adjust
  }

  onReject(options: readonly ConfigOption[]): boolean {
    return options.length === 0;
  }

  judge(options: readonly ConfigOption[]): Verdict[] {
    if (options.some((o) => o.type === CCP_OPT_MPPE)) this.peerWantedMppe = true;
    return options.map(() => REJECT);
  }

  onPeerAcked(): void {}

  /** Reset-Request/Reset-Ack (RFC 1962 §5) are meaningless without compression: accept and ignore them. */
  extraCode(p: { readonly code: number }): boolean {
    return p.code === 14 || p.code === 15;
  }
}
