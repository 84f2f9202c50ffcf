/** Maps a path in the parsed data (`pairs[1].mode`) back to a line and column in the YAML text. */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { PathSegment } from './issues.js';

export interface Position {
  line: number;
  column: number;
}

function keyMatches(key: unknown, segment: PathSegment): boolean {
  const k = isScalar(key) ? key.value : key;
  return (
    k === segment || (typeof segment === 'number' && k === String(segment)) || String(k) === String(segment)
  );
}

/**
 * The position of the node at `segments`. With `atKey`, the position of the last segment's key rather than
 * its value (for unknown keys). When the path does not exist (a missing key), the deepest node that does.
 */
export function locate(
  doc: Document,
  lines: LineCounter,
  segments: readonly PathSegment[],
  atKey = false,
): Position | undefined {
  let node: unknown = doc.contents;
  let best: Node | undefined = (doc.contents as Node | null) ?? undefined;
  let matched = 0;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i] as PathSegment;
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => keyMatches(p.key, seg));
      if (!pair) break;
      matched++;
      const last = i === segments.length - 1;
      if ((last && atKey) || pair.value === null || pair.value === undefined) {
        // A key with no value has no value node; point at the key.
        best = pair.key as Node;
        node = undefined;
        if (last) break;
        continue;
      }
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      matched++;
    } else {
      break;
    }
    if (node && typeof node === 'object' && 'range' in node) best = node as Node;
    else break;
  }
  // Nothing of the path is in the file (a warning about a default): no position rather than a wrong one.
  if (matched === 0 && segments.length > 0) return undefined;
  const offset = best?.range?.[0];
  if (offset === undefined) return undefined;
  const pos = lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}
