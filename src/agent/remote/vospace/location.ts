/**
 * How the config names a VOSpace folder (`vos:alice/data`, `arc:projects/x`, `vos://…`): the addressing the
 * agent takes from the client library, gathered at the adapter so nothing else in the agent imports it.
 */
export { InvalidUriError, isSameOrBelow } from '../../../vospace/uri.js';
export { isRemote, locationUri, parseLocation, type NodeLocation } from '../../../vospace/location.js';
export { DEFAULT_REGISTRY } from '../../../vospace/registry.js';
