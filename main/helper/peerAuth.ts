/** Who may talk to the helper: root, configured uids, and members of the configured group. Pure. */

export interface PeerCredentials {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
  /**
   * Supplementary groups at connect time (SO_PEERGROUPS, Linux ≥ 4.13), or null when the kernel could not say;
   * then only the primary group counts (no racy /proc lookup).
   */
  readonly groups: readonly number[] | null;
}

export interface PeerPolicy {
  /** Members of this group (primary or supplementary) are allowed. */
  readonly group: number | null;
  /** Extra uids allowed (tests, a service account). Root is always allowed. */
  readonly uids: readonly number[];
}

export function authorizePeer(c: PeerCredentials, policy: PeerPolicy): boolean {
  if (c.uid === 0 || policy.uids.includes(c.uid)) return true;
  if (policy.group === null) return false;
  return c.gid === policy.group || (c.groups ?? []).includes(policy.group);
}
