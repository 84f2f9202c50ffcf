/**
 * Plans a pixel cutout (SODA `SUB`) as CADC's minoc does: each requested slice is found (HDU number or
 * EXTNAME/EXTVER), its ranges clipped to the image, and the output laid out — one slice gives a simple FITS
 * file, several an MEF whose primary is the input's data-less primary header when it has one. Each output
 * header is the source's with NAXISn, CRPIXn and the pixel scale (CDELTn, or CD/PC columns for steps and
 * flips) rewritten; stale CHECKSUM/DATASUM are dropped.
 */
import type { AxisRange, ExtensionSlice, HduSelector } from '../../vospace/cutout.js';
import { FitsError, cardKey, cardValue, encodeHeader, makeCard, withRealValue } from './header.js';
import type { Hdu } from './hdus.js';

/** One output axis: the 0-based first source pixel, the signed step between pixels, and how many. */
export interface AxisPlan {
  start: number;
  stride: number;
  count: number;
}

export interface OutputHdu {
  header: Buffer;
  source: Hdu;
  /** Per axis of the source; empty for a header-only HDU. */
  axes: AxisPlan[];
}

function describeSelector(sel: HduSelector): string {
  return 'index' in sel
    ? `HDU ${sel.index}`
    : `EXTNAME ${sel.name}${sel.version ? `, EXTVER ${sel.version}` : ''}`;
}

function findHdu(hdus: Hdu[], sel: HduSelector): Hdu | undefined {
  if ('index' in sel) return hdus[sel.index];
  return hdus.find((h) => {
    const name = h.header.string('EXTNAME');
    return (
      name?.trim().toUpperCase() === sel.name.toUpperCase() &&
      h.header.int('EXTVER', 1) === (sel.version ?? 1)
    );
  });
}

/** An axis of `n` pixels cut by `r`; undefined when nothing of it is left. */
function axisPlan(r: AxisRange, n: number): AxisPlan | undefined {
  if (n === 0) return undefined;
  if (r.kind === 'all') {
    const count = Math.ceil(n / r.step);
    return r.flip ? { start: n - 1, stride: -r.step, count } : { start: 0, stride: r.step, count };
  }
  const lo = Math.max(1, Math.min(r.from, r.to));
  const hi = Math.min(n, Math.max(r.from, r.to));
  if (lo > hi) return undefined;
  const count = Math.floor((hi - lo) / r.step) + 1;
  return r.from <= r.to
    ? { start: lo - 1, stride: r.step, count }
    : { start: hi - 1, stride: -r.step, count };
}

function slicePlan(hdu: Hdu, slice: ExtensionSlice, label: string): AxisPlan[] {
  if (hdu.kind === 'compressed') {
    throw new FitsError(
      `${label}: HDU ${hdu.index} is a tile-compressed image; compressed images are not supported by this server`,
      true,
    );
  }
  if (hdu.kind !== 'image') {
    throw new FitsError(
      `${label}: HDU ${hdu.index} is a ${hdu.kind === 'groups' ? 'random-groups HDU' : 'table'}; only image HDUs can be cut out by this server`,
      true,
    );
  }
  if (slice.ranges.length === 0) return hdu.axes.map((n) => ({ start: 0, stride: 1, count: n }));
  if (hdu.axes.length === 0) throw new FitsError(`${label}: HDU ${hdu.index} has no data to cut`);
  if (slice.ranges.length > hdu.axes.length) {
    throw new FitsError(
      `${label}: ${slice.ranges.length} pixel ranges for HDU ${hdu.index}, which has ${hdu.axes.length} axes`,
    );
  }
  return hdu.axes.map((n, i) => {
    const r = slice.ranges[i] ?? { kind: 'all', flip: false, step: 1 };
    const plan = axisPlan(r, n);
    if (!plan)
      throw new FitsError(`${label}: no overlap with HDU ${hdu.index} (axis ${i + 1} has ${n} pixels)`);
    return plan;
  });
}

const DROPPED = /^(SIMPLE|XTENSION|BITPIX|NAXIS\d*|EXTEND|NEXTEND|PCOUNT|GCOUNT|GROUPS|CHECKSUM|DATASUM)$/;
const CRPIX = /^CRPIX(\d+)([A-Z]?)$/;
const CDELT = /^CDELT(\d+)([A-Z]?)$/;
const MATRIX = /^(CD|PC)(\d+)_(\d+)([A-Z]?)$/;

/** The source's other cards with the WCS moved onto the cut pixels (pixel p' = (p - first) / stride + 1). */
function movedWcs(cards: string[], axes: AxisPlan[]): string[] {
  const matrices = new Map<string, 'CD' | 'PC'>();
  for (const c of cards) {
    const m = MATRIX.exec(cardKey(c));
    if (m && (m[1] === 'CD' || !matrices.has(m[4]!))) matrices.set(m[4]!, m[1] as 'CD' | 'PC');
  }
  const stride = (j: string) => axes[Number(j) - 1]?.stride ?? 1;
  const out: string[] = [];
  const diagonals = new Set<string>();
  for (const c of cards) {
    const key = cardKey(c);
    const v = cardValue(c);
    if (DROPPED.test(key)) continue;
    let m: RegExpExecArray | null;
    if (typeof v !== 'number') out.push(c);
    else if ((m = CRPIX.exec(key)) && axes[Number(m[1]) - 1]) {
      const a = axes[Number(m[1]) - 1]!;
      out.push(withRealValue(c, (v - (a.start + 1)) / a.stride + 1));
    } else if ((m = CDELT.exec(key)) && !matrices.has(m[2]!)) out.push(withRealValue(c, v * stride(m[1]!)));
    else if ((m = MATRIX.exec(key)) && matrices.get(m[4]!) === m[1]) {
      if (m[2] === m[3]) diagonals.add(`${m[2]}${m[4]}`);
      out.push(withRealValue(c, v * stride(m[3]!)));
    } else out.push(c);
  }
  // A missing PC diagonal element is 1; a scaled axis needs it written out.
  for (const [letter, kind] of matrices) {
    axes.forEach((a, i) => {
      const j = String(i + 1);
      if (kind === 'PC' && a.stride !== 1 && !diagonals.has(`${j}${letter}`)) {
        out.push(makeCard(`PC${j}_${j}${letter}`, a.stride, 'pixel axis scaled by the cutout', true));
      }
    });
  }
  return out;
}

function outputHeader(
  hdu: Hdu,
  axes: AxisPlan[],
  role: { primary: true; extensions: number } | { primary: false },
): Buffer {
  const h = hdu.header;
  const cards = [
    role.primary
      ? makeCard('SIMPLE', true, 'conforms to FITS standard')
      : makeCard('XTENSION', 'IMAGE', 'image extension'),
    makeCard('BITPIX', h.int('BITPIX'), 'bits per data value'),
    makeCard('NAXIS', axes.length, 'number of data axes'),
    ...axes.map((a, i) => makeCard(`NAXIS${i + 1}`, a.count, `length of data axis ${i + 1}`)),
  ];
  if (role.primary && role.extensions > 0) {
    cards.push(makeCard('EXTEND', true, 'FITS dataset may contain extensions'));
    cards.push(makeCard('NEXTEND', role.extensions, 'number of extensions'));
  }
  if (!role.primary)
    cards.push(makeCard('PCOUNT', 0, 'required keyword'), makeCard('GCOUNT', 1, 'required keyword'));
  return encodeHeader([...cards, ...movedWcs(h.cards, axes)]);
}

/** The HDUs a set of `SUB` slices produces; `labels` are the slices as requested, for errors. */
export function planCutout(hdus: Hdu[], slices: ExtensionSlice[], labels: string[]): OutputHdu[] {
  const picked = slices.map((slice, i) => {
    const label = labels[i]!;
    const hdu = findHdu(hdus, slice.hdu);
    if (!hdu) {
      throw new FitsError(
        `${label}: no overlap: the file has no ${describeSelector(slice.hdu)} (it has ${hdus.length} HDU${hdus.length === 1 ? '' : 's'})`,
      );
    }
    return { hdu, axes: slicePlan(hdu, slice, label), whole: slice.ranges.length === 0 };
  });
  // Output in file order, slices of one HDU in the order asked (a stable sort).
  picked.sort((a, b) => a.hdu.index - b.hdu.index);
  if (picked.length === 1) {
    const only = picked[0]!;
    return [
      {
        header: outputHeader(only.hdu, only.axes, { primary: true, extensions: 0 }),
        source: only.hdu,
        axes: only.axes,
      },
    ];
  }
  const primary = hdus[0]!;
  const out: OutputHdu[] = [];
  let rest = picked;
  if (primary.dataBytes === 0) {
    // The input's data-less primary header leads the MEF (once, even when asked for by itself too).
    rest = picked.filter((p) => !(p.hdu.index === 0 && p.whole));
    out.push({
      header: outputHeader(primary, [], { primary: true, extensions: rest.length }),
      source: primary,
      axes: [],
    });
  }
  for (const p of rest) {
    const role =
      out.length === 0
        ? { primary: true as const, extensions: rest.length - 1 }
        : { primary: false as const };
    out.push({ header: outputHeader(p.hdu, p.axes, role), source: p.hdu, axes: p.axes });
  }
  return out;
}
