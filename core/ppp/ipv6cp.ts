/** IPV6CP as an option table (RFC 5072 §4): agree on 64-bit interface identifiers for link-local addresses. */
import type { Logger } from '../common/log';
import type { RandomSource } from '../common/random';
import { ACK, nak, type OptionTable, REJECT, type Verdict } from './negotiation';
import { type ConfigOption, option } from './options';

export const IPV6CP_OPT = { INTERFACE_IDENTIFIER: 1, COMPRESSION: 2 } as const;

const isZero = (b: Uint8Array): boolean => b.every((x) => x === 0);
const same = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

export class Ipv6cpOptions implements OptionTable {
  private want: Uint8Array | null = null;
  private rejected = false;

  /** Our interface identifier once acknowledged (null when not negotiated). */
  localId: Uint8Array | null = null;
  peerId: Uint8Array | null = null;

  constructor(private readonly cfg: { readonly random: RandomSource; readonly logger: Logger }) {}

  reset(): void {
    this.want = this.rejected ? null : this.freshId();
    this.localId = null;
    this.peerId = null;
  }

  buildRequest(): ConfigOption[] {
    return this.want ? [option(IPV6CP_OPT.INTERFACE_IDENTIFIER, this.want)] : [];
  }

  onAck(): void {
    this.localId = this.want;
  }

  onNak(options: readonly ConfigOption[], treatAsReject: boolean): boolean {
    for (const o of options) {
      if (o.type !== IPV6CP_OPT.INTERFACE_IDENTIFIER || o.data.length !== 8 || !this.want) continue;
      if (treatAsReject) {
        this.want = null;
        this.rejected = true;
      } else if (!isZero(o.data) && !(this.peerId && same(o.data, this.peerId))) {
        this.want = o.data.slice(); // RFC 5072 §4.1: use the identifier the peer suggests
      } else this.want = this.freshId();
    }
    return true;
  }

  onReject(options: readonly ConfigOption[]): boolean {
    for (const o of options) {
      if (o.type !== IPV6CP_OPT.INTERFACE_IDENTIFIER || !this.want) return false;
      this.want = null;
      this.rejected = true;
    }
    return true;
  }

  judge(options: readonly ConfigOption[]): Verdict[] {
    return options.map((o) => {
      if (o.type !== IPV6CP_OPT.INTERFACE_IDENTIFIER || o.data.length !== 8) return REJECT;
      // RFC 5072 §4.1: a zero identifier, or one equal to ours, is Nak'd with a different one.
      if (isZero(o.data) || (this.want && same(o.data, this.want))) {
        return nak(option(IPV6CP_OPT.INTERFACE_IDENTIFIER, this.freshId(o.data)));
      }
      return ACK;
    });
  }

  onPeerAcked(options: readonly ConfigOption[]): void {
    for (const o of options) if (o.type === IPV6CP_OPT.INTERFACE_IDENTIFIER) this.peerId = o.data.slice();
  }

  private freshId(avoid?: Uint8Array): Uint8Array {
    for (let i = 0; i < 8; i++) {
      const id = this.cfg.random(8).slice(0, 8);
      if (
        id.length === 8 &&
        !isZero(id) &&
        !(avoid && same(id, avoid)) &&
        !(this.want && same(id, this.want))
      )
        return id;
    }
    return Uint8Array.of(0x02, 0, 0, 0, 0, 0, 0, (avoid?.[7] ?? 0) + 1); // broken RandomSource fallback
  }
}

/** fe80::<interface identifier> as text. */
export function linkLocalAddress(id: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 8; i += 2) groups.push(((id[i]! << 8) | id[i + 1]!).toString(16));
  return `fe80::${groups.join(':')}`;
}
