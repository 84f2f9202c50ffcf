/**
 * The reversible name mapping between local file names and VOSpace node names (rclone's `encoding` is the
 * model). CADC's services cannot address spaces, brackets, `%`, `#`… and CADC's Python client only accepts
 * names made of `[\w_\-=+!,;:@&*$.~]`, so any other character is written as `~HH` per UTF-8 byte (uppercase
 * hex): `My Paper.pdf` ⇄ `My~20Paper.pdf`. `*` is escaped too (a glob character for vcp), and a name is put
 * in Unicode NFC first, so the NFD spelling macOS writes and the NFC one are one name.
 *
 * A bijection between every local name (any string without `/` or NUL, compared in NFC) and every remote name
 * over the safe alphabet: a `~` stays literal unless, read with what follows it, it would be taken for an
 * escape; only then is it written `~7E`. So a remote name vosync never made, `~41` or `a~b` say, maps to
 * the same local name and back unchanged. This is a storage format: changing it renames users' data.
 */

const ESCAPE = '~';
const TILDE_ESCAPE = '~7E';
/** One code point the remote side stores as is (Python's `\w` plus CADC's punctuation, without `*`). */
const SAFE_CHAR = /^[\p{L}\p{N}_\-=+!,;:@&$.~]$/u;
const HEX_PAIR = /^~[0-9A-F]{2}/;
const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });
/** Names of plain ASCII safe characters without `~` map to themselves: the common case, with no work. */
const PLAIN = /^[A-Za-z0-9_\-=+!,;:@&$.]*$/;

/** Whether one character needs no escape in a remote name. */
export function isRemoteSafeChar(ch: string): boolean {
  return SAFE_CHAR.test(ch);
}

function escapeChar(ch: string): string {
  let out = '';
  for (const byte of Buffer.from(ch, 'utf8'))
    out += ESCAPE + byte.toString(16).toUpperCase().padStart(2, '0');
  return out;
}

/** UTF-8 sequence length announced by a lead byte, or 0 for a byte that cannot start one. */
function utf8Length(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/**
 * The escape of one character that needs escaping at `s[i…]`: its length in `s` and the character, or
 * undefined. Only the canonical spelling counts (uppercase hex, shortest UTF-8, one whole code point), and
 * never `/` or NUL, which no local name holds.
 */
function charEscapeAt(s: string, i: number): { length: number; char: string } | undefined {
  if (!HEX_PAIR.test(s.slice(i, i + 3))) return undefined;
  const lead = parseInt(s.slice(i + 1, i + 3), 16);
  const n = utf8Length(lead);
  if (n === 0) return undefined;
  const bytes = [lead];
  for (let k = 1; k < n; k++) {
    const at = i + 3 * k;
    if (!HEX_PAIR.test(s.slice(at, at + 3))) return undefined;
    bytes.push(parseInt(s.slice(at + 1, at + 3), 16));
  }
  let char: string;
  try {
    char = fatalUtf8.decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
  if ([...char].length !== 1 || char === '/' || char === '\u0000' || isRemoteSafeChar(char)) return undefined;
  return { length: 3 * n, char };
}

/** Whether the remote text `s[i…]`, which starts with `~`, is read as an escape (of a character or of `~`). */
function escapeAt(s: string, i: number): boolean {
  if (charEscapeAt(s, i)) return true;
  return s.startsWith(TILDE_ESCAPE, i) && escapeAt(ESCAPE + s.slice(i + 3), 0);
}

/** Local name → remote name. Identity for names the remote can hold (in NFC). */
export function encodeName(localName: string): string {
  if (PLAIN.test(localName)) return localName;
  const chars = [...localName.normalize('NFC')];
  // Right to left: whether a `~` must be escaped depends on the encoded text after it.
  let out = '';
  for (let k = chars.length - 1; k >= 0; k--) {
    const ch = chars[k]!;
    if (ch === ESCAPE) out = (escapeAt(ESCAPE + out, 0) ? TILDE_ESCAPE : ESCAPE) + out;
    else out = (isRemoteSafeChar(ch) ? ch : escapeChar(ch)) + out;
  }
  return out;
}

/** Remote name → local name; the inverse of `encodeName`. */
export function decodeName(remoteName: string): string {
  if (PLAIN.test(remoteName)) return remoteName;
  let out = '';
  let i = 0;
  while (i < remoteName.length) {
    if (remoteName[i] === ESCAPE) {
      const esc = charEscapeAt(remoteName, i);
      if (esc) {
        out += esc.char;
        i += esc.length;
        continue;
      }
      if (remoteName.startsWith(TILDE_ESCAPE, i) && escapeAt(ESCAPE + remoteName.slice(i + 3), 0)) {
        out += ESCAPE;
        i += 3;
        continue;
      }
    }
    const cp = remoteName.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    out += ch;
    i += ch.length;
  }
  return out;
}

/** Whether a name needs the mapping at all (the common case does not: no work, no surprises). */
export function needsEncoding(localName: string): boolean {
  return encodeName(localName) !== localName;
}

/** How path segments are turned into node names and back: the mapping, or the names as they are. */
export interface NameCodec {
  encode(localName: string): string;
  decode(remoteName: string): string;
}

export const NAME_MAPPING: NameCodec = { encode: encodeName, decode: decodeName };
export const RAW_NAMES: NameCodec = { encode: (n) => n, decode: (n) => n };

/** Encodes every segment of a relative path (`a b/c` → `a~20b/c`). */
export function encodePath(rel: string, codec: NameCodec = NAME_MAPPING): string {
  return rel === '' ? '' : rel.split('/').map(codec.encode).join('/');
}

/** Decodes every segment of a relative path. */
export function decodePath(rel: string, codec: NameCodec = NAME_MAPPING): string {
  return rel === '' ? '' : rel.split('/').map(codec.decode).join('/');
}
