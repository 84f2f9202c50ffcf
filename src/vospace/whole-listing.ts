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

/** The checked children of the container `req` lists, and the answer's size; retried whole if cut short. */
export async function readWholeListing(
  session: HttpSession,
  req: HttpRequest,
  what: string,
  maxBytes: number,
  signal: AbortSignal | undefined,
): Promise<{ kids: NodeInfo[]; bytes: number }> {
  return session.fetchRead({ ...req, ...(signal ? { signal } : {}) }, [200], what, async (res) => {
    const kids: NodeInfo[] = [];
    let check: ((child: NodeDoc) => NodeInfo) | undefined;
    const reader = new NodeDocReader((child, containerUri) => {
      check ??= childCheck(containerUri, nodePathOf(containerUri));
      kids.push(check(child));
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
    return { kids, bytes };
  });
}
