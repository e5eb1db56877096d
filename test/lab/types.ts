/** What every lab server offers to tests and to `npm run lab`. */

export interface LabUser {
  readonly username: string;
  readonly password: string;
}

export interface LabInfo {
  /** Where the client sends IKE (UDP 500/4500). */
  readonly serverAddress: string;
  /** The client's address on the lab link (the veth end outside the server's namespace). */
  readonly clientAddress: string;
  /** Namespace holding the client end of the link, or null for the root namespace. */
  readonly clientNetns: string | null;
  readonly psk: string;
  readonly users: readonly LabUser[];
  /** An address inside the tunnel that answers ICMP echo (SoftEther's SecureNAT gateway, the VM's PPP address). */
  readonly tunnelPeerAddress: string;
}

export interface LabUpOptions {
  /** Put the client end of the lab link into this (existing) namespace instead of the root namespace. */
  readonly clientNetns?: string;
}

export interface LabServer<Info extends LabInfo = LabInfo, Options extends LabUpOptions = LabUpOptions> {
  readonly name: string;
  /** Starts from a clean slate (tears down leftovers first); resolves once the server answers. */
  up(opts?: Options): Promise<Info>;
  /** Stops processes by recorded PID and removes namespaces, links and taps. Idempotent. */
  down(): Promise<void>;
  status(): Promise<{ readonly running: boolean; readonly detail: string }>;
  /** The server's own log so far (tests use it to see sessions start and end). */
  serverLog(): Promise<string>;
}
