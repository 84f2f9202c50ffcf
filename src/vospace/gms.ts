/**
 * CADC's group and login service (GMS): the registry id that locates it, and the URI prefix that node
 * permissions write group names with.
 */
export const GMS_RESOURCE_ID = 'ivo://cadc.nrc.ca/gms';
/** `ivo://cadc.nrc.ca/gms?survey` is how a node's group properties name the group `survey`. */
export const GMS_PREFIX = `${GMS_RESOURCE_ID}?`;
