/**
 * One container listing answer (ARC's whole folder, ~80 MB of XML for 100,000 children, or one of Vault's
 * pages), read and checked child by child as it downloads, so the parse keeps pace with the server instead of
 * starting once the last byte is in, and no tree of the whole document is ever built.
 */
import { StringDecoder } from 'node:string_decoder';
import { VosError } from './errors.js';
import type { HttpRequest, HttpSession } from './http.js';
import { childCheck, nodePathOf, type NodeInfo } from './node.js';
import { NodeDocReader, XmlInputError, type NodeDoc } from './xml.js';

export interface ListingAnswer<T> {
  /** The children as `select` made them, in the server's order. */
  kids: T[];
  /** URIs of the first and last child (paging cursors), undefined when there are none. */
  firstUri: string | undefined;
  lastUri: string | undefined;
  bytes: number;
}

/**
 * The checked children of the container `req` lists, each passed through `select` as soon as it is read (so a
 * caller that keeps less than a NodeInfo does not hold a page of them), and the answer's size; retried whole if
 * cut short.
 */
export async function readListingAnswer<T>(
  session: HttpSession,
  req: HttpRequest,
  what: string,
  maxBytes: number,
  signal: AbortSignal | undefined,
  select: (child: NodeInfo) => T,
): Promise<ListingAnswer<T>> {
  return session.fetchRead({ ...req, ...(signal ? { signal } : {}) }, [200], what, async (res) => {
    const kids: T[] = [];
    let firstUri: string | undefined;
    let lastUri: string | undefined;
    let check: ((child: NodeDoc) => NodeInfo) | undefined;
    const reader = new NodeDocReader((child, containerUri) => {
      check ??= childCheck(containerUri, nodePathOf(containerUri));
      const info = check(child);
      firstUri ??= info.uri;
      lastUri = info.uri;
      kids.push(select(info));
    });
    const decoder = new StringDecoder('utf8');
    let bytes = 0;
    let container: NodeDoc;
    try {
      for await (const chunk of session.bodyChunks(res, maxBytes)) {
        bytes += chunk.length;
        reader.write(decoder.write(chunk));
      }
      reader.write(decoder.end());
      container = reader.end();
    } catch (e) {
      if (e instanceof XmlInputError)
        throw new VosError('protocol', `${what}: bad node document: ${e.message}`);
      throw e;
    }
    if (container.type !== 'ContainerNode') throw new VosError('invalid', `${what} is not a container`);
    return { kids, firstUri, lastUri, bytes };
  });
}
