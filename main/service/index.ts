/**
 * The Electron-free host of the core, shared by the `ferry` CLI and the Electron main process:
 * profiles (store, policy), secrets (keychain, environment, memory), the connection manager (carrier + helper +
 * TUN + reconnect + MFA + diagnostics) and FerryApi on top of them.
 */
export { FerryService, type FerryServiceOptions } from './api/ferryService';
export { DEFAULT_SETTINGS, SettingsStore } from './api/settingsStore';
export { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF, isRetryable } from './connection/backoff';
export { type DiagnosticsReport, redactedJson } from './connection/diagnostics';
export { ConnectionManager, type ConnectionManagerOptions, type ManagerEvents } from './connection/manager';
export type { OtpPrompt, OtpProvider } from './connection/mfa';
export {
  type HelperConnection,
  HelperNetworkHost,
  type HelperNetworkHostOptions,
  type NetworkHost,
  type NetworkInfo,
  type NetworkSession,
} from './connection/networkHost';
export { type PacketEndpoint, PacketPump, type PumpCounters } from './connection/packetPump';
export type { CarrierFor, MfaBroker } from './connection/session';
export { removeStaleTemps, writeFileAtomic } from './profiles/atomicFile';
export { defaultConfigDir, defaultStorePaths, defaultSystemDir, type StorePaths } from './profiles/paths';
export { enforcePolicy, NO_POLICY, parsePolicy, policyViolations } from './profiles/policy';
export {
  ProfileStore,
  type ProfileStoreOptions,
  type StoredProfile,
  type StoreProblem,
} from './profiles/profileStore';
export { chainSecrets, redactingSecrets } from './secrets/compose';
export { EnvSecretStore, SECRET_ENV } from './secrets/env';
export { KEYCHAIN_SERVICE, type KeytarApi, KeytarSecretStore } from './secrets/keytar';
export { MemorySecretStore } from './secrets/memory';
export { SECRET_KINDS, type SecretKind, type SecretLookup, type SecretStore } from './secrets/types';
