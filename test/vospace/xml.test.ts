import { describe, expect, it } from 'vitest';
import {
  NodeDocReader,
  PROP,
  XmlInputError,
  formatIvoaDate,
  parseIvoaDate,
  parseNodeXml,
  parseTransferXml,
  writeListingXml,
  writeNodeXml,
  writeTransferXml,
  type NodeDoc,
} from '../../src/vospace/xml.js';

describe('node XML', () => {
  it('round-trips a container with children, properties sorted, busy on data nodes', () => {
    const xml = writeNodeXml({
      uri: 'vos://cadc.nrc.ca~vault/alice',
      type: 'ContainerNode',
      properties: [
        { uri: PROP.length, value: '12', readOnly: true },
        { uri: PROP.date, value: '2024-05-01T12:34:56.789', readOnly: true },
      ],
      children: [
        { uri: 'vos://cadc.nrc.ca~vault/alice/a&b.txt', type: 'DataNode', properties: [] },
        {
          uri: 'vos://cadc.nrc.ca~vault/alice/l',
          type: 'LinkNode',
          properties: [],
          target: 'vos://cadc.nrc.ca~vault/x',
        },
        { uri: 'vos://cadc.nrc.ca~vault/alice/sub', type: 'ContainerNode', properties: [] },
      ],
    });
    expect(xml.indexOf(PROP.date)).toBeLessThan(xml.indexOf(PROP.length));
    expect(xml).toContain('xsi:type="vos:DataNode" busy="false"');
    expect(xml).toContain('a&amp;b.txt');
    const back = parseNodeXml(xml);
    expect(back.type).toBe('ContainerNode');
    expect(back.children?.map((c) => c.type)).toEqual(['DataNode', 'LinkNode', 'ContainerNode']);
    expect(back.children?.[0]?.uri).toBe('vos://cadc.nrc.ca~vault/alice/a&b.txt');
    expect(back.children?.[1]?.target).toBe('vos://cadc.nrc.ca~vault/x');
    expect(back.properties.find((p) => p.uri === PROP.length)).toEqual({
      uri: PROP.length,
      value: '12',
      readOnly: true,
    });
  });

  it('reads documents the Python client writes (default namespace, nil properties)', () => {
    const doc = `<?xml version='1.0' encoding='UTF-8'?>
<node xmlns="http://www.ivoa.net/xml/VOSpace/v2.0" xmlns:vos="http://www.ivoa.net/xml/VOSpace/v2.0"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="vos:DataNode" uri="vos://cadc.nrc.ca!vault/u/f.txt">
 <properties><property readOnly="false" uri="ivo://cadc.nrc.ca/vospace/core#islocked" xsi:nil="true"></property>
 <property readOnly="false" uri="ivo://ivoa.net/vospace/core#type">text/plain</property></properties>
 <accepts><view uri="ivo://ivoa.net/vospace/core#defaultview"/></accepts></node>`;
    const n = parseNodeXml(doc);
    expect(n.uri).toBe('vos://cadc.nrc.ca!vault/u/f.txt');
    expect(n.type).toBe('DataNode');
    expect(n.properties[0]).toMatchObject({ uri: 'ivo://cadc.nrc.ca/vospace/core#islocked', nil: true });
    expect(n.properties[1]).toMatchObject({ value: 'text/plain' });
  });

  it('refuses DTDs, entity declarations, wrong types and garbage', () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><node uri="x">&lol;</node>`;
    expect(() => parseNodeXml(bomb)).toThrow(XmlInputError);
    expect(() =>
      parseNodeXml(
        '<node xmlns="http://www.ivoa.net/xml/VOSpace/v2.0" uri="vos://a~b/c" xsi:type="vos:Node"/>',
      ),
    ).toThrow(/TypeNotSupported/);
    expect(() => parseNodeXml('not xml at all')).toThrow(XmlInputError);
    expect(() => parseNodeXml('<a>'.repeat(10), 8)).toThrow(/larger than/);
  });
});

describe('transfer XML', () => {
  it('round-trips, defaulting keepBytes to true when absent', () => {
    const xml = writeTransferXml({
      targets: ['vos://cadc.nrc.ca!vault/u/x'],
      direction: 'pushToVoSpace',
      protocols: [
        { uri: 'ivo://ivoa.net/vospace/core#httpsput', securityMethod: 'ivo://ivoa.net/sso#token' },
      ],
      keepBytes: false,
      params: [],
    });
    const t = parseTransferXml(xml);
    expect(t).toMatchObject({ direction: 'pushToVoSpace', keepBytes: false });
    expect(t.protocols[0]?.securityMethod).toBe('ivo://ivoa.net/sso#token');
    const noKeep = parseTransferXml(
      '<vos:transfer xmlns:vos="http://www.ivoa.net/xml/VOSpace/v2.0"><vos:target>vos://a~b/c</vos:target><vos:direction>pullFromVoSpace</vos:direction></vos:transfer>',
    );
    expect(noKeep.keepBytes).toBe(true);
  });

  it("decodes numeric character references, as CADC's Python client writes non-ASCII names", () => {
    const t = parseTransferXml(
      '<vos:transfer xmlns:vos="http://www.ivoa.net/xml/VOSpace/v2.0"><vos:target>vos://a~b/Zo&#235;&#x1F600;&amp;#235;.txt</vos:target><vos:direction>pushToVoSpace</vos:direction></vos:transfer>',
    );
    expect(t.targets).toEqual(['vos://a~b/Zoë😀&#235;.txt']);
  });
});

describe('IVOA dates', () => {
  it('formats without zone and parses with or without milliseconds', () => {
    const t = Date.UTC(2024, 4, 1, 12, 34, 56, 789);
    expect(formatIvoaDate(t)).toBe('2024-05-01T12:34:56.789');
    expect(parseIvoaDate('2024-05-01T12:34:56.789')).toBe(t);
    expect(parseIvoaDate('2024-05-01T12:34:56Z')).toBe(t - 789);
    expect(parseIvoaDate('yesterday')).toBeNaN();
  });
});

describe('writeListingXml', () => {
  it('writes, piece by piece, exactly what writeNodeXml writes', () => {
    const kid = (i: number): NodeDoc => ({
      uri: `vos://example.org~vault/a/f${i}`,
      type: 'DataNode',
      busy: false,
      properties: [{ uri: 'ivo://ivoa.net/vospace/core#length', value: String(i), readOnly: true }],
    });
    const container: NodeDoc = {
      uri: 'vos://example.org~vault/a',
      type: 'ContainerNode',
      properties: [{ uri: 'ivo://ivoa.net/vospace/core#date', value: '2026-01-01T00:00:00.000' }],
    };
    for (const n of [0, 1, 2, 3, 7]) {
      for (const detail of ['max', 'min', 'properties'] as const) {
        const kids = Array.from({ length: n }, (_, i) => kid(i));
        const pieces = [...writeListingXml(container, kids, detail, 2)];
        expect(pieces.join('')).toBe(writeNodeXml({ ...container, children: kids }, detail));
        // One piece per two children, and the last one with the closing tags.
        expect(pieces.length).toBe(Math.floor(n / 2) + 1);
      }
    }
  });
});

describe('NodeDocReader', () => {
  const listing = writeNodeXml({
    uri: 'vos://cadc.nrc.ca~arc/home/u',
    type: 'ContainerNode',
    properties: [{ uri: PROP.ispublic, value: 'false' }],
    children: ['a', 'b', 'c'].map((n) => ({
      uri: `vos://cadc.nrc.ca~arc/home/u/${n}`,
      type: 'DataNode' as const,
      properties: [{ uri: PROP.length, value: '3' }],
    })),
  });
  const inPieces = (doc: string, size: number) => {
    const seen: string[] = [];
    const reader = new NodeDocReader((c, containerUri) => seen.push(`${containerUri} ${c.uri}`));
    for (let i = 0; i < doc.length; i += size) reader.write(doc.slice(i, i + size));
    return { container: reader.end(), seen };
  };

  it('hands over each child as its element ends, with the container it is listed in', () => {
    for (const size of [1, 7, 64, listing.length]) {
      const { container, seen } = inPieces(listing, size);
      expect(container).toEqual({ ...parseNodeXml(listing), children: [] });
      expect(seen).toEqual(
        ['a', 'b', 'c'].map((n) => `vos://cadc.nrc.ca~arc/home/u vos://cadc.nrc.ca~arc/home/u/${n}`),
      );
    }
  });

  it('refuses a declaration or another namespace even when a piece boundary cuts it', () => {
    const dtd = listing.replace('<vos:node', '<!DOCTYPE x><vos:node');
    expect(() => inPieces(dtd, dtd.indexOf('DOCTYPE') - 1)).toThrow(/DTDs and entity declarations/);
    const other = listing.replaceAll('http://www.ivoa.net/xml/VOSpace/v2.0', 'urn:other');
    expect(() => inPieces(other, 5)).toThrow(/not in the VOSpace namespace/);
    const { container } = inPieces(listing, listing.indexOf('VOSpace/v2.0'));
    expect(container.uri).toBe('vos://cadc.nrc.ca~arc/home/u');
  });
});
