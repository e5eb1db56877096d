/** IPCP as an option table (RFC 1332, DNS options RFC 1877): get our address and DNS servers from the peer. */
import type { Logger } from '../common/log';
import { ACK, type OptionTable, REJECT, type Verdict } from './negotiation';
import { type ConfigOption, readU32, u32Option } from './options';

export const IPCP_OPT = {
  IP_ADDRESSES: 1, // deprecated (RFC 1332 §3.1)
  IP_COMPRESSION: 2,
  IP_ADDRESS: 3,
  PRIMARY_DNS: 129,
  PRIMARY_NBNS: 130,
  SECONDARY_DNS: 131,
  SECONDARY_NBNS: 132,
} as const;

export interface IpcpOptionsConfig {
  /** Ask for the server's DNS servers (RFC 1877), default true. */
  readonly requestDns: boolean;
  readonly logger: Logger;
}

/** Our wishes: a value to request, or null once the peer rejected (or we gave up on) the option. */
interface Wants {
  address: number | null;
  dns1: number | null;
  dns2: number | null;
}

export class IpcpOptions implements OptionTable {
  private want: Wants = { address: 0, dns1: null, dns2: null };
  private readonly rejected = new Set<number>();

  /** Our address once acknowledged (0 = none). */
  localAddress = 0;
  /** The peer's address from its own request (0 = it did not say). */
  peerAddress = 0;
  dns1 = 0;
  dns2 = 0;

  constructor(private readonly cfg: IpcpOptionsConfig) {}

  reset(): void {
    const dns = this.cfg.requestDns;
    this.want = {
      address: this.rejected.has(IPCP_OPT.IP_ADDRESS) ? null : 0,
      dns1: dns && !this.rejected.has(IPCP_OPT.PRIMARY_DNS) ? 0 : null,
      dns2: dns && !this.rejected.has(IPCP_OPT.SECONDARY_DNS) ? 0 : null,
    };
    this.localAddress = 0;
    this.peerAddress = 0;
    this.dns1 = 0;
    this.dns2 = 0;
  }

  /** Whether the peer rejected the IP-Address option (it will never give us an address). */
  get addressRejected(): boolean {
    return this.rejected.has(IPCP_OPT.IP_ADDRESS);
  }

  buildRequest(): ConfigOption[] {
    const out: ConfigOption[] = [];
    if (this.want.address !== null) out.push(u32Option(IPCP_OPT.IP_ADDRESS, this.want.address));
    if (this.want.dns1 !== null) out.push(u32Option(IPCP_OPT.PRIMARY_DNS, this.want.dns1));
    if (this.want.dns2 !== null) out.push(u32Option(IPCP_OPT.SECONDARY_DNS, this.want.dns2));
    return out;
  }

  onAck(): void {
    this.localAddress = this.want.address ?? 0;
    this.dns1 = this.want.dns1 ?? 0;
    this.dns2 = this.want.dns2 ?? 0;
  }

  onNak(options: readonly ConfigOption[], treatAsReject: boolean): boolean {
    for (const o of options) {
      if (o.data.length !== 4) continue;
      const key = this.keyOf(o.type);
      if (key === null || this.want[key] === null) continue; // not something we asked for
      // RFC 1332 §3.3 / RFC 1877 §1: the Nak carries the value to use; after Max-Failure give the option up.
      if (treatAsReject) this.drop(o.type, key);
      else this.want[key] = readU32(o.data);
    }
    return true;
  }

  onReject(options: readonly ConfigOption[]): boolean {
    for (const o of options) {
      const key = this.keyOf(o.type);
      if (key === null || this.want[key] === null) return false;
      this.cfg.logger.info(`IPCP: peer rejected option ${o.type}, continuing without it`);
      this.drop(o.type, key);
    }
    return true;
  }

  private drop(type: number, key: keyof Wants): void {
    this.want[key] = null;
    this.rejected.add(type);
  }

  private keyOf(type: number): keyof Wants | null {
    if (type === IPCP_OPT.IP_ADDRESS) return 'address';
    if (type === IPCP_OPT.PRIMARY_DNS) return 'dns1';
    if (type === IPCP_OPT.SECONDARY_DNS) return 'dns2';
    return null;
  }

  judge(options: readonly ConfigOption[]): Verdict[] {
    return options.map((o) => {
      // The peer's own address; 0.0.0.0 would ask us to assign one, which a client cannot.
      if (o.type === IPCP_OPT.IP_ADDRESS && o.data.length === 4 && readU32(o.data) !== 0) return ACK;
      // IP-Compression-Protocol (VJ), the deprecated IP-Addresses, the peer asking us for DNS/NBNS, the rest.
      return REJECT;
    });
  }

  onPeerAcked(options: readonly ConfigOption[]): void {
    this.peerAddress = 0;
    for (const o of options) if (o.type === IPCP_OPT.IP_ADDRESS) this.peerAddress = readU32(o.data);
  }

  /** DNS servers learned, non-zero ones only. */
  dnsServers(): number[] {
    return [this.dns1, this.dns2].filter((v) => v !== 0);
  }
}
