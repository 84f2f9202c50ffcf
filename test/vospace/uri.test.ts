import { describe, expect, it } from 'vitest';
import {
  InvalidUriError,
  formatVosUri,
  nodeNameProblem,
  parseVosUri,
  resourceIdFromAuthority,
} from '../../src/vospace/uri.js';

describe('vos URIs', () => {
  it('treats ! and ~ as the same authority and strips trailing slashes', () => {
    expect(parseVosUri('vos://cadc.nrc.ca!vault/u/a.txt/')).toEqual({
      authority: 'cadc.nrc.ca~vault',
      path: 'u/a.txt',
    });
    expect(parseVosUri('vos://cadc.nrc.ca~vault')).toEqual({ authority: 'cadc.nrc.ca~vault', path: '' });
    expect(resourceIdFromAuthority('cadc.nrc.ca!vault')).toBe('ivo://cadc.nrc.ca/vault');
  });
  it('percent-encodes non-ASCII on output and decodes it on input', () => {
    const s = formatVosUri({ authority: 'cadc.nrc.ca~arc', path: 'home/u/étoile.fits' });
    expect(s).toBe('vos://cadc.nrc.ca~arc/home/u/%C3%A9toile.fits');
    expect(parseVosUri(s).path).toBe('home/u/étoile.fits');
  });
  it('rejects dot segments, empty segments, control characters and CADC-illegal characters', () => {
    for (const bad of [
      'vos://a~b/u/../x',
      'vos://a~b/u//x',
      'vos://a~b/u/a%00b',
      'vos://a~b/u/a b',
      'vos://a~b/u/x|y',
      'http://x/y',
    ]) {
      expect(() => parseVosUri(bad), bad).toThrow(InvalidUriError);
    }
    expect(nodeNameProblem('ok-name_1.fits')).toBeUndefined();
    expect(nodeNameProblem('x'.repeat(256))).toMatch(/longer/);
  });
});
