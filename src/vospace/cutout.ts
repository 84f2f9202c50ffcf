/**
 * Cutouts of remote FITS files as CADC's tools spell them: a pixel suffix `f.fits[1][1:100,1:100]` (SODA
 * `SUB`, CFITSIO-style), a circle suffix `f.fits(RA,DEC,RADIUS)` in degrees (SODA `CIRCLE`), and headers only
 * (SODA `META=true`). Recognising a suffix on a path, the one grammar of `SUB` values (the client validates
 * with it, `vosync serve` cuts with it), and the query a data URL gets. Shared by the client and the server.
 */

/** One axis of a pixel cutout, 1-based and inclusive; `from > to` reads the axis backwards. */
export type AxisRange =
  { kind: 'all'; flip: boolean; step: number } | { kind: 'span'; from: number; to: number; step: number };

/** Which HDU: by 0-based index (0 = primary) or by EXTNAME (and EXTVER, 1 when absent). */
export type HduSelector = { index: number } | { name: string; version?: number };

/** One `SUB` value: an HDU and its axis ranges (none: the whole HDU; fewer than NAXIS: the rest whole). */
export interface ExtensionSlice {
  hdu: HduSelector;
  ranges: AxisRange[];
}

/** What a data URL is asked for besides the plain bytes. */
export type DataView =
  | { kind: 'pixels'; sub: string }
  | { kind: 'circle'; ra: string; dec: string; radius: string }
  | { kind: 'headers' };

export class CutoutSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CutoutSyntaxError';
  }
}

const AXIS = /^(?:(-?)\*|(\d+)(?::(\d+))?)(?::(\d+))?$/;
const EXT_NAME = /^[A-Za-z_][\w.-]*$/;

function axisRange(text: string, spec: string): AxisRange {
  const m = AXIS.exec(text);
  if (!m) {
    throw new CutoutSyntaxError(
      `bad pixel range '${text}' in ${spec}: expected N, N:M, * or -*, optionally followed by :STEP`,
    );
  }
  const step = m[4] === undefined ? 1 : Number(m[4]);
  if (step < 1) throw new CutoutSyntaxError(`bad step in '${text}' in ${spec}: it must be 1 or more`);
  if (m[2] === undefined) return { kind: 'all', flip: m[1] === '-', step };
  const from = Number(m[2]);
  const to = m[3] === undefined ? from : Number(m[3]);
  return { kind: 'span', from, to, step };
}

function pixelRanges(group: string, spec: string): AxisRange[] {
  return group.split(',').map((axis) => axisRange(axis, spec));
}

function hduSelector(group: string, spec: string): HduSelector {
  if (/^\d+$/.test(group)) return { index: Number(group) };
  const [name, version, extra] = group.split(',');
  if (
    extra !== undefined ||
    !name ||
    !EXT_NAME.test(name) ||
    (version !== undefined && !/^\d+$/.test(version))
  ) {
    throw new CutoutSyntaxError(
      `bad extension '${group}' in ${spec}: expected an HDU number, EXTNAME or EXTNAME,EXTVER`,
    );
  }
  // EXTVER counts from 1; CADC reads 0 as 1.
  return version === undefined ? { name } : { name, version: Math.max(1, Number(version)) };
}

/**
 * Parses one `SUB` value as CADC's SODA does: `[ext][ranges]`, or a single group that is pixel ranges of the
 * primary HDU when it holds `:` or `*`, else an HDU (number, EXTNAME or EXTNAME,EXTVER) taken whole.
 */
export function parseSub(value: string): ExtensionSlice {
  const spec = value.replace(/\s+/g, '');
  const m = /^\[([^[\]]*)\](?:\[([^[\]]*)\])?$/.exec(spec);
  if (!m) {
    throw new CutoutSyntaxError(
      `bad pixel cutout '${value}': expected [EXT][X1:X2,Y1:Y2,…], [X1:X2,…] or [EXT]`,
    );
  }
  const first = m[1]!;
  if (m[2] !== undefined) return { hdu: hduSelector(first, spec), ranges: pixelRanges(m[2], spec) };
  if (/[:*]/.test(first)) return { hdu: { index: 0 }, ranges: pixelRanges(first, spec) };
  return { hdu: hduSelector(first, spec), ranges: [] };
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function circle(body: string, suffix: string): DataView {
  const parts = body.split(',').map((p) => p.trim());
  const [ra, dec, radius] = parts;
  if (parts.length !== 3 || !parts.every((p) => NUMBER.test(p))) {
    throw new CutoutSyntaxError(`bad circle cutout '${suffix}': expected (RA,DEC,RADIUS) in degrees`);
  }
  const [r, d, rad] = parts.map(Number) as [number, number, number];
  if (r < 0 || r > 360)
    throw new CutoutSyntaxError(`bad circle cutout '${suffix}': RA must be 0 to 360 degrees`);
  if (d < -90 || d > 90)
    throw new CutoutSyntaxError(`bad circle cutout '${suffix}': DEC must be -90 to 90 degrees`);
  if (!(rad > 0))
    throw new CutoutSyntaxError(`bad circle cutout '${suffix}': the radius must be more than 0`);
  return { kind: 'circle', ra: ra!, dec: dec!, radius: radius! };
}

/** Pixel-cutout characters as CADC's vcp recognises them (digits, `*`, `:`, `,`, `+`, `-`). */
const NUMERIC_GROUP = /^\[[\d*:,\s+-]*\]$/;

/**
 * Splits a trailing cutout off a remote path, as CADC's vcp does before looking the node up: a `[…]` group
 * of the characters above (after an optional `[EXT]`, `[EXTNAME]` or `[EXTNAME,EXTVER]`), or a `(…,…,…)`
 * circle. Anything else stays part of the name, so `data[old]` is a file name; a name that really ends like
 * a cutout is reached through its escaped spelling (`f.fits~5B1~5D`). A suffix that is a cutout but
 * malformed throws CutoutSyntaxError.
 */
export function splitCutout(arg: string): { path: string; view?: DataView } {
  const round = /\(([^()]*)\)$/.exec(arg);
  if (round && (round[1]!.match(/,/g) ?? []).length === 2) {
    return { path: arg.slice(0, round.index), view: circle(round[1]!, round[0]) };
  }
  const square = /(?:\[[^[\]]*\])+$/.exec(arg);
  if (!square) return { path: arg };
  const groups = square[0].match(/\[[^[\]]*\]/g)!;
  const numeric = (g: string | undefined) => g !== undefined && NUMERIC_GROUP.test(g);
  if (!numeric(groups.at(-1))) return { path: arg };
  const before = groups.at(-2);
  const withExtension = numeric(before) || (before !== undefined && /^\[[A-Za-z_]/.test(before));
  if (withExtension && numeric(groups.at(-3))) {
    throw new CutoutSyntaxError(`bad pixel cutout '${square[0]}': expected at most [EXT][RANGES]`);
  }
  const sub = groups.slice(withExtension ? -2 : -1).join('');
  parseSub(sub);
  return {
    path: arg.slice(0, arg.length - sub.length),
    view: { kind: 'pixels', sub: sub.replace(/\s+/g, '') },
  };
}

/** The SODA query parameters of a view, as CADC's client sends them to the data URL. */
export function sodaParams(view: DataView): [string, string][] {
  switch (view.kind) {
    case 'pixels':
      return [['SUB', view.sub]];
    case 'circle':
      return [['CIRCLE', `${view.ra} ${view.dec} ${view.radius}`]];
    case 'headers':
      return [['META', 'true']];
  }
}

/** `url` with a view's parameters added (spaces as `+`, brackets and colons %-escaped, like Python's requests). */
export function withView(url: string, view: DataView): string {
  const u = new URL(url);
  for (const [k, v] of sodaParams(view)) u.searchParams.append(k, v);
  return u.toString();
}

/** How a view reads in messages and local names: `[1][1:10,1:10]`, `(10,20,0.5)`, or `headers`. */
export function describeView(view: DataView): string {
  switch (view.kind) {
    case 'pixels':
      return view.sub;
    case 'circle':
      return `(${view.ra},${view.dec},${view.radius})`;
    case 'headers':
      return 'headers';
  }
}
