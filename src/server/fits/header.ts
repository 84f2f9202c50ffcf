/**
 * FITS headers: 80-character ASCII cards in 2880-byte blocks, ended by `END`. Reading values (logical,
 * integer, real, string) and writing cards in the standard's fixed format, for the cutout writer.
 */

export const BLOCK = 2880;
export const CARD = 80;

/** A file or request this server cannot answer; `unsupported` when it is valid FITS it does not handle. */
export class FitsError extends Error {
  constructor(
    message: string,
    readonly unsupported = false,
  ) {
    super(message);
    this.name = 'FitsError';
  }
}

export type CardValue = boolean | number | string;

/** The keyword of a raw card (columns 1–8, trimmed). */
export function cardKey(card: string): string {
  return card.slice(0, 8).trimEnd();
}

/** The value of a raw `KEY     = value / comment` card, or undefined for commentary cards. */
export function cardValue(card: string): CardValue | undefined {
  if (card.slice(8, 10) !== '= ') return undefined;
  const text = card.slice(10).trimStart();
  if (text.startsWith("'")) {
    let out = '';
    for (let i = 1; i < text.length; i++) {
      if (text[i] !== "'") out += text[i];
      else if (text[i + 1] === "'") out += text[i++];
      else return out.trimEnd();
    }
    return undefined;
  }
  const token = text.split('/')[0]!.trim();
  if (token === 'T') return true;
  if (token === 'F') return false;
  const n = Number(token.replace(/[dD]/, 'E'));
  return token !== '' && Number.isFinite(n) ? n : undefined;
}

function formatValue(value: CardValue): string {
  if (typeof value === 'boolean') return (value ? 'T' : 'F').padStart(20);
  if (typeof value === 'string') return `'${value.replace(/'/g, "''").padEnd(8)}'`.padEnd(20);
  if (Number.isInteger(value) && !Object.is(value, -0)) return String(value).padStart(20);
  throw new FitsError(`not an integer: ${value}`);
}

/** A real number as FITS writes one: always with a decimal point or exponent, exponent in capitals. */
export function formatReal(value: number): string {
  let s = String(value).toUpperCase();
  if (!/[.E]/.test(s)) s += '.0';
  else if (s.includes('E') && !s.includes('.')) s = s.replace('E', '.0E');
  return s.padStart(20);
}

/** One card in fixed format; `real` forces a real number (`2.0`, not `2`). */
export function makeCard(key: string, value: CardValue, comment?: string, real = false): string {
  const v = real && typeof value === 'number' ? formatReal(value) : formatValue(value);
  const text = `${key.padEnd(8)}= ${v}${comment ? ` / ${comment}` : ''}`;
  return text.slice(0, CARD).padEnd(CARD);
}

/** The comment of a raw card after its value (`/ …`), if any. */
function cardComment(card: string): string | undefined {
  const text = card.slice(10);
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "'") inString = !inString;
    else if (text[i] === '/' && !inString) return text.slice(i + 1).trim() || undefined;
  }
  return undefined;
}

/** The same card with a new real value, keeping its comment. */
export function withRealValue(card: string, value: number): string {
  return makeCard(cardKey(card), value, cardComment(card), true);
}

/** A header as read: its cards without `END`, looked up by keyword. */
export class Header {
  private readonly index = new Map<string, number>();

  constructor(readonly cards: string[]) {
    cards.forEach((c, i) => {
      const k = cardKey(c);
      if (!this.index.has(k)) this.index.set(k, i);
    });
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  value(key: string): CardValue | undefined {
    const i = this.index.get(key);
    return i === undefined ? undefined : cardValue(this.cards[i]!);
  }

  /** An integer keyword; `fallback` when absent; a present but non-integer value is an error. */
  int(key: string, fallback?: number): number {
    const v = this.value(key);
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v))
      throw new FitsError(`${key} is missing or not an integer`);
    return v;
  }

  string(key: string): string | undefined {
    const v = this.value(key);
    return typeof v === 'string' ? v : undefined;
  }
}

/** Cards plus `END`, padded with spaces to whole blocks. */
export function encodeHeader(cards: string[]): Buffer {
  const text = [...cards, 'END'.padEnd(CARD)].join('');
  const out = Buffer.alloc(Math.ceil(text.length / BLOCK) * BLOCK, ' ');
  out.write(text, 'latin1');
  return out;
}
