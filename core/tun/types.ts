/** The packet interface of a TUN device as the unprivileged side sees it (one IPv4/IPv6 packet per read/write). */
export interface TunStats {
  readonly packetsIn: number;
  readonly bytesIn: number;
  readonly packetsOut: number;
  readonly bytesOut: number;
  /** Writes the kernel refused or shortened. */
  readonly writeErrors: number;
  /** Reads that failed with something other than "no packet right now". */
  readonly readErrors: number;
}

export interface TunDevice {
  readonly name: string;
  /**
   * Packets from the OS (what local applications send into the tunnel). The view is only valid during the
   * call: copy it to keep it. One handler; setting another replaces it. Reading starts with the first handler.
   */
  onPacket(handler: (packet: Uint8Array) => void): void;
  /** Called once if the device goes away (deleted, I/O error) while open. */
  onError(handler: (error: Error) => void): void;
  /** Hands one packet to the OS; false (and counted) if the kernel refused it. Synchronous, no allocation. */
  write(packet: Uint8Array): boolean;
  /** Stops reading and closes the file descriptor; the device itself stays (the helper owns it). */
  close(): Promise<void>;
  stats(): TunStats;
}

export interface OpenTunOptions {
  /** The clone device; tests may point at their own node with the same major/minor (10, 200). */
  readonly devicePath?: string;
  /** Largest packet read in one go (default 65535). */
  readonly maxPacket?: number;
  /** Packets drained per event-loop turn before yielding (default 256). */
  readonly drainBudget?: number;
}
