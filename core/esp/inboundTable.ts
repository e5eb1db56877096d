/**
 * Inbound SAs by SPI (RFC 4303 §2.1): during a phase-2 rekey the old and the new SA receive side by side, so the
 * packet path hands every ESP packet here rather than to one SA.
 */
import { err, type Result } from '../common/result';
import type { EspDropReason, InboundSa, Opened } from './inbound';
import { ESP_HEADER_LENGTH, peekSpi } from './packet';

export class InboundSaTable {
  private readonly sas = new Map<number, InboundSa>();
  private unknownSpi = 0;
  private short = 0;

  add(sa: InboundSa): void {
    this.sas.set(sa.spi, sa);
  }

  remove(spi: number): boolean {
    return this.sas.delete(spi >>> 0);
  }

  get(spi: number): InboundSa | undefined {
    return this.sas.get(spi >>> 0);
  }

  get size(): number {
    return this.sas.size;
  }

  /** Drops before any SA was involved; each SA's stats() counts the rest. */
  drops(): { readonly 'bad-spi': number; readonly malformed: number } {
    return { 'bad-spi': this.unknownSpi, malformed: this.short };
  }

  open(packet: Uint8Array): Result<Opened, EspDropReason> {
    if (packet.length < ESP_HEADER_LENGTH) {
      this.short++;
      return err('malformed');
    }
    const sa = this.sas.get(peekSpi(packet));
    if (sa === undefined) {
      this.unknownSpi++;
      return err('bad-spi');
    }
    return sa.open(packet);
  }
}
