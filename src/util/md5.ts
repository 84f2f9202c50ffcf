/** MD5, the checksum VOSpace services and vosync's index agree on. */

/** MD5 of zero bytes: what an empty node or file holds, known without reading or sending anything. */
export const EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e';
