/** vosync's public library API: the VOSpace client and the pieces it is built from. */
export { Client, type ClientOptions, type TransferOutcome } from './vospace/client.js';
export { GMS_PREFIX } from './vospace/gms.js';
export type { ProgressCallback } from './vospace/transfer.js';
export { VosError, EXIT_CODES, type VosErrorKind } from './vospace/errors.js';
export { HttpSession, type Credentials, type SessionOptions, type RetryPolicy } from './vospace/http.js';
export {
  parseLocation,
  locationUri,
  isRemote,
  BUILTIN_SCHEMES,
  type NodeLocation,
} from './vospace/location.js';
export { type NodeInfo, type NodeKind, permissionString } from './vospace/node.js';
export { Registry, DEFAULT_REGISTRY, type ServiceEndpoints } from './vospace/registry.js';
export { parseVosUri, formatVosUri, type VosUri } from './vospace/uri.js';
export { PROP } from './vospace/xml.js';
export {
  splitCutout,
  parseSub,
  CutoutSyntaxError,
  type DataView,
  type ExtensionSlice,
} from './vospace/cutout.js';
export { downloadView, openView } from './vospace/views.js';
export {
  decodeName,
  decodePath,
  encodeName,
  encodePath,
  NAME_MAPPING,
  RAW_NAMES,
  type NameCodec,
} from './vospace/names.js';
export { startServer, type ServeOptions, type RunningServer } from './server/server.js';
