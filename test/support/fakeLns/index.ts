/** An in-process LNS + PPP server and a fake carrier for deterministic orchestrator tests. */
export { type CarrierPhase, FakeCarrier, type FakeCarrierOptions } from './fakeCarrier';
export { FakeLns } from './fakeLns';
export type { LnsSessionState, LnsTunnelState } from './lnsTunnel';
export { pppPacketName } from './names';
export { type NetworkCall, RecordingNetwork, type RecordingNetworkOptions } from './recordingNetwork';
export { TrackingClock } from './trackingClock';
export {
  type DataFraming,
  type FakeLnsOptions,
  LNS_MOMENTS,
  type LnsMoment,
  type LnsRecord,
  type PapAttempt,
} from './types';
export { collectUnhandledRejections } from './unhandled';
export {
  buildProfile,
  connectingPhases,
  nextState,
  type Outcome,
  PASSWORD,
  settledKinds,
  USER,
  type World,
  type WorldOptions,
  world,
} from './world';
