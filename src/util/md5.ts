/** MD5, the checksum VOSpace services and vosync's index agree on. */
import { createHash } from 'node:crypto';

/** MD5 of zero bytes: what an empty node or file holds, known without reading or sending anything. */
export const EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e';

/** The MD5 (hex) of bytes held in memory. */
export function md5Hex(data: string | Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}
