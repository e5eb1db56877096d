/** What every lab server offers to tests and to `npm run lab`. */
export interface LabServer<Info> {
  readonly name: string;
  /** Starts from a clean slate (tears down leftovers first); resolves once the server answers. */
  up(opts?: Record<string, string>): Promise<Info>;
  /** Stops processes by recorded PID and removes namespaces, links and taps. Idempotent. */
  down(): Promise<void>;
  status(): Promise<{ readonly running: boolean; readonly detail: string }>;
}
