/** MD5 of bytes in memory, as the index and VOSpace's core#MD5 property spell it (lower-case hex). */
import { describe, expect, it } from 'vitest';
import { EMPTY_MD5, md5Hex } from '../../src/util/md5.js';

describe('md5Hex', () => {
  it('hashes strings as UTF-8 and bytes as they are', () => {
    expect(md5Hex('')).toBe(EMPTY_MD5);
    expect(md5Hex('hello')).toBe('5d41402abc4b2a76b9719d911017c592');
    expect(md5Hex(Buffer.from('hello'))).toBe('5d41402abc4b2a76b9719d911017c592');
    expect(md5Hex('é')).toBe(md5Hex(Buffer.from([0xc3, 0xa9])));
  });
});
