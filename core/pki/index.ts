/** Certificates and keys for IKE signature authentication and for import by the CLI and the app. */
export {
  type AltName,
  type BasicConstraints,
  Certificate,
  type CertificateSummary,
  type KeyUsage,
} from './certificate';
export { type ChainFailure, type ChainProblem, type ChainResult, validateChain } from './chain';
export {
  type ClientCredentials,
  parseCertificates,
  parseClientCredentials,
  serializeClientCredentials,
} from './credentials';
export { type PkiErrorCode, pkiError } from './errors';
export { type CertIdentity, certificateHasIdentity, describeCertIdentity } from './identity';
export {
  clientCredentialsOf,
  type ImportedCertificate,
  type ImportFormat,
  type ImportOptions,
  type ImportRole,
  importCertificate,
  MAX_IMPORT_BYTES,
} from './importer';
export {
  describeKey,
  type EcCurve,
  ikeKeyProblem,
  type KeyDescription,
  loadPrivateKey,
  MIN_RSA_BITS,
} from './keys';
export {
  type DistinguishedName,
  decodeDistinguishedName,
  formatDistinguishedName,
  namesEqual,
  parseDistinguishedName,
} from './names';
export { looksLikePem, type PemBlock, pemBlocks, toPem } from './pem';
export { looksLikePkcs12, type Pkcs12Contents, readPkcs12 } from './pkcs12';
