import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  XmlSyntaxError,
  child,
  childrenNamed,
  XmlTreeReader,
  parseXmlTree,
  type XmlElement,
} from '../../src/vospace/xml-tree.js';
import { parseNodeXml, writeNodeXml, type NodeDoc, type NodeProperty } from '../../src/vospace/xml.js';

describe('parseXmlTree', () => {
  it('reads elements, prefixed names, attributes, text, CDATA, comments and references', () => {
    const root = parseXmlTree(
      `\ufeff<?xml version="1.0" encoding="UTF-8"?>\n<!-- head -->\n` +
        `<v:root xmlns:v="urn:x" xmlns="urn:y" v:a='1 &amp; 2' b="&lt;&#65;&#x42;&gt;">\n` +
        `  <v:item k="x">one &quot;&apos;</v:item><!-- c --><item/>\n` +
        `  <item><![CDATA[<raw> & stuff]]></item>\n` +
        `  <?pi ignored?>\n` +
        `</v:root>\n<!-- tail -->\n`,
    );
    expect(root.name).toBe('root');
    expect(root.attrs).toEqual({ a: '1 & 2', b: '<AB>' });
    const items = childrenNamed(root, 'item');
    expect(items.map((i) => i.text)).toEqual(['one "\'', '', '<raw> & stuff']);
    expect(child(root, 'item')?.attrs).toEqual({ k: 'x' });
    expect(child(root, 'missing')).toBeUndefined();
  });

  it.each([
    ['no root', '<?xml version="1.0"?>'],
    ['two roots', '<a/><b/>'],
    ['mismatched end tag', '<a><b></a></b>'],
    ['unclosed element', '<a><b/>'],
    ['stray end tag', '</a>'],
    ['text outside the root', 'hello <a/>'],
    ['text after the root', '<a/> trailing'],
    ['bare ampersand', '<a>fish & chips</a>'],
    ['unknown entity', '<a>&nbsp;</a>'],
    ['unterminated reference', '<a>&amp</a>'],
    ['reference to NUL', '<a>&#0;</a>'],
    ['unquoted attribute', '<a b=1/>'],
    ['duplicate attribute', '<a b="1" b="2"/>'],
    ['< in an attribute', '<a b="x<y"/>'],
    ['DOCTYPE', '<!DOCTYPE a><a/>'],
    ['entity declaration inside', '<a><!ENTITY x "y"></a>'],
    ['unterminated comment', '<a><!-- x</a>'],
    ['unterminated CDATA', '<a><![CDATA[x</a>'],
    ['malformed tag', '<a>< b/></a>'],
  ])('refuses %s', (_what, doc) => {
    expect(() => parseXmlTree(doc)).toThrow(XmlSyntaxError);
  });

  it('refuses nesting deeper than the limit', () => {
    expect(() => parseXmlTree('<a>'.repeat(20) + '</a>'.repeat(20), 10)).toThrow(/deeper than 10/);
    expect(parseXmlTree('<a>'.repeat(10) + '</a>'.repeat(10), 10).name).toBe('a');
  });
});

/** The document read in pieces cut at `cuts` (fractions of its length). */
function readInPieces(doc: string, cuts: number[], hook?: (el: XmlElement) => boolean): XmlElement {
  const reader = new XmlTreeReader(256, hook);
  let from = 0;
  for (const at of [...cuts.map((c) => Math.floor(c * doc.length)), doc.length].sort((a, b) => a - b)) {
    reader.write(doc.slice(from, at));
    from = Math.max(from, at);
  }
  return reader.end();
}

function outcome(read: () => XmlElement): unknown {
  try {
    return read();
  } catch (e) {
    return (e as Error).message;
  }
}

describe('XmlTreeReader', () => {
  const piece = fc.constantFrom(
    '<a>',
    '</a>',
    '<b x="1 > 2">',
    '</b>',
    "<c y='<'/>",
    '<c/>',
    'text',
    ' ',
    '&amp;',
    '&#x41;',
    '&',
    '<!-- c -->',
    '<![CDATA[ ]]> ]]>',
    '<?pi ?>',
    '<!DOCTYPE a>',
    '\ufeff',
    '<',
    '>',
    '"',
    '<a z="q',
    '\n',
  );

  it('reads a document cut into any pieces exactly as it reads it whole, errors included', () => {
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 30 }).map((ps) => ps.join('')),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }),
        (doc, cuts) => {
          expect(outcome(() => readInPieces(doc, cuts))).toEqual(outcome(() => parseXmlTree(doc)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('reads a listing one character at a time', () => {
    const doc = writeNodeXml({
      uri: 'vos://cadc.nrc.ca~vault/u',
      type: 'ContainerNode',
      properties: [{ uri: 'ivo://x#p', value: 'a < b & "c"' }],
      children: [{ uri: 'vos://cadc.nrc.ca~vault/u/a', type: 'DataNode', properties: [] }],
    });
    const cuts = Array.from({ length: doc.length }, (_, i) => i / doc.length);
    expect(readInPieces(doc, cuts)).toEqual(parseXmlTree(doc));
  });

  it('hands each finished element to the hook, which may take it out of the tree', () => {
    const seen: string[] = [];
    const root = readInPieces('<r><k n="1"><p/></k><k n="2"/><m/></r>', [0.3, 0.6], (el) => {
      seen.push(`${el.name}${el.attrs['n'] ?? ''}`);
      return el.name === 'k';
    });
    expect(seen).toEqual(['p', 'k1', 'k2', 'm']);
    expect(root.children.map((c) => c.name)).toEqual(['m']);
  });
});

const text = fc.string({
  unit: fc.constantFrom('a', 'Z', '0', ' ', '&', '<', '>', '"', "'", 'é', '字', '😀', '/', '#'),
});
const nonBlank = text.filter((s) => s.trim() !== '');

const property: fc.Arbitrary<NodeProperty> = fc.record(
  {
    uri: nonBlank.map((s) => `ivo://example.org/p#${s}`),
    value: text,
    readOnly: fc.constant(true),
  },
  { requiredKeys: ['uri', 'value'] },
);

const leaf: fc.Arbitrary<NodeDoc> = fc.oneof(
  fc.record({
    uri: nonBlank.map((s) => `vos://cadc.nrc.ca~vault/u/${s}`),
    type: fc.constant('DataNode' as const),
    properties: fc.uniqueArray(property, { selector: (p) => p.uri, maxLength: 4 }),
    busy: fc.boolean(),
  }),
  fc.record({
    uri: nonBlank.map((s) => `vos://cadc.nrc.ca~vault/u/${s}`),
    type: fc.constant('LinkNode' as const),
    properties: fc.uniqueArray(property, { selector: (p) => p.uri, maxLength: 2 }),
    target: nonBlank.map((s) => `vos://cadc.nrc.ca~vault/t/${s}`),
  }),
);

describe('parseNodeXml on the lean reader', () => {
  it('reads back what writeNodeXml wrote, for any names and values (trimmed, properties sorted)', () => {
    fc.assert(
      fc.property(
        fc.record({
          uri: nonBlank.map((s) => `vos://cadc.nrc.ca~vault/u/${s}`),
          properties: fc.uniqueArray(property, { selector: (p) => p.uri, maxLength: 4 }),
          children: fc.array(leaf, { maxLength: 6 }),
        }),
        (c) => {
          const doc: NodeDoc = { ...c, type: 'ContainerNode' };
          const back = parseNodeXml(writeNodeXml(doc));
          const norm = (props: NodeProperty[]) =>
            [...props]
              .sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0))
              .map((p) => ({ ...p, value: p.value.trim() }));
          expect(back.uri).toBe(doc.uri);
          expect(back.properties).toEqual(norm(doc.properties));
          expect(back.children?.length).toBe(doc.children?.length);
          back.children?.forEach((k, i) => {
            const want = doc.children![i]!;
            expect(k.uri).toBe(want.uri);
            expect(k.type).toBe(want.type);
            expect(k.properties).toEqual(norm(want.properties));
            if (want.type === 'DataNode') expect(k.busy).toBe(want.busy ?? false);
            if (want.type === 'LinkNode') expect(k.target).toBe(want.target?.trim());
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('turns a malformed listing into an XmlInputError naming the problem', () => {
    const good = writeNodeXml({
      uri: 'vos://cadc.nrc.ca~vault/u',
      type: 'ContainerNode',
      properties: [],
      children: [{ uri: 'vos://cadc.nrc.ca~vault/u/a', type: 'DataNode', properties: [] }],
    });
    expect(() => parseNodeXml(good.slice(0, good.indexOf('</vos:nodes>')))).toThrow(
      /malformed XML: unclosed element <vos:nodes>/,
    );
    expect(() => parseNodeXml(good.slice(0, good.length - 10))).toThrow(
      /malformed XML: unterminated end tag/,
    );
    expect(() => parseNodeXml(good.replace('</vos:nodes>', '</vos:node>'))).toThrow(/does not match/);
  });
});
