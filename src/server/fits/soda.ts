/**
 * SODA operations on Vault's storage URLs, as CADC's minoc answers them: `META=true` lists every HDU's header
 * as text, `SUB=[ext][ranges]` (repeatable) returns a pixel cutout as a new FITS file, and WCS cutouts
 * (`CIRCLE`, `POLYGON`, `POS`, `BAND`, `TIME`, `POL`) are refused: this server has no WCS engine. Only FITS
 * files (by content type, else by name) are cut; the caller has already checked the read permission.
 */
import fs from 'node:fs/promises';
import type { RequestContext } from '../context.js';
import { Fault } from '../errors.js';
import { contentDisposition, writeWhenReady } from '../http.js';
import type { NodeRecord } from '../store.js';
import { CutoutSyntaxError, parseSub, type ExtensionSlice } from '../../vospace/cutout.js';
import { PROP } from '../../vospace/xml.js';
import { planCutout } from './cutout-plan.js';
import { writeCutout } from './cutout-write.js';
import { FitsError } from './header.js';
import { headerLines, readHdus } from './hdus.js';

const WCS_PARAMS = ['CIRCLE', 'POLYGON', 'POS', 'BAND', 'TIME', 'POL'] as const;
const SHAPES = new Set(['CIRCLE', 'POLYGON', 'POS']);

export interface SodaRequest {
  subs: string[];
  meta: boolean;
  /** The WCS parameters present, by name. */
  wcs: string[];
}

/** The SODA operation a data URL asks for (parameter names in any case), or undefined for plain bytes. */
export function sodaRequest(url: URL): SodaRequest | undefined {
  const values = (name: string) =>
    [...url.searchParams].filter(([k]) => k.toUpperCase() === name).map(([, v]) => v);
  const subs = values('SUB');
  const meta = values('META').includes('true');
  const wcs = WCS_PARAMS.filter((p) => values(p).length > 0);
  return subs.length > 0 || meta || wcs.length > 0 ? { subs, meta, wcs } : undefined;
}

const FITS_TYPES = new Set(['application/fits', 'image/fits']);
/** Content types that say nothing, so the name decides (as minoc treats them). */
const UNTYPED = new Set(['application/octet-stream', 'NULL', 'None']);
const FITS_SUFFIXES = ['.fits', '.fits.fz', '.fz'];

function isFits(n: NodeRecord): boolean {
  const type = n.props[PROP.type];
  if (type !== undefined && !UNTYPED.has(type)) return FITS_TYPES.has(type);
  return FITS_SUFFIXES.some((s) => n.name.endsWith(s));
}

/** minoc's name for a cutout: `f.fits` cut by `[1][10:20,*]` is `f.1__10_20__.fits` trimmed of `_`s. */
export function cutoutFileName(name: string, slices: ExtensionSlice[]): string {
  let tag = '';
  for (const s of slices) {
    tag +=
      'index' in s.hdu ? String(s.hdu.index) : `${s.hdu.name}${s.hdu.version ? `_${s.hdu.version}` : ''}`;
    tag += '__';
    for (const r of s.ranges) tag += r.kind === 'all' ? '__' : `${r.from}_${r.to}_`;
    tag += '__';
  }
  tag = tag.replace(/_+$/, '');
  const suffix = FITS_SUFFIXES.find((s) => name.endsWith(s));
  const base = suffix ? name.slice(0, -suffix.length) : name;
  return `${base}.${tag}.fits`;
}

function refusal(e: unknown): Fault {
  if (e instanceof FitsError && e.unsupported) return new Fault(400, `OperationNotSupported: ${e.message}`);
  if (e instanceof FitsError || e instanceof CutoutSyntaxError)
    return new Fault(400, `InvalidArgument: ${e.message}`);
  throw e;
}

async function openBlob(ctx: RequestContext, n: NodeRecord): Promise<fs.FileHandle> {
  if (!n.blob || n.length === 0)
    throw new Fault(400, `InvalidArgument: not a FITS file (no data): ${ctx.service.uriOf(n.path)}`);
  return fs.open(ctx.service.store.blobPath(n.blob), 'r');
}

/** Answers a SODA request on DataNode `n` (GET on its storage URL). */
export async function answerSoda(ctx: RequestContext, n: NodeRecord, op: SodaRequest): Promise<void> {
  const uri = ctx.service.uriOf(n.path);
  if (!isFits(n)) throw new Fault(400, `InvalidArgument: not a fits file: ${uri}`);
  const shapes = op.wcs.filter((p) => SHAPES.has(p));
  const conflicts = [
    ...(op.meta && op.subs.length > 0 ? ['META', 'SUB'] : []),
    ...(shapes.length > 1 ? shapes : []),
  ];
  if (conflicts.length > 0) {
    throw new Fault(400, `InvalidArgument: Conflicting SODA parameters found: [${conflicts.join(', ')}]`);
  }
  if (!op.meta && op.subs.length === 0) {
    throw new Fault(
      400,
      `OperationNotSupported: ${op.wcs.join(', ')} cutouts are not supported by this server (no WCS); ` +
        'use a pixel cutout such as SUB=[1][100:200,100:200]',
    );
  }
  let slices: ExtensionSlice[] = [];
  try {
    slices = op.subs.map(parseSub);
  } catch (e) {
    throw refusal(e);
  }
  const fd = await openBlob(ctx, n);
  try {
    let plan: ReturnType<typeof planCutout> | undefined;
    let text = '';
    try {
      const hdus = await readHdus(fd, n.length);
      if (op.meta) text = hdus.map(headerLines).join('');
      else plan = planCutout(hdus, slices, op.subs);
    } catch (e) {
      throw refusal(e);
    }
    const server = ctx.service.flavour.dataServerHeader;
    if (!plan) {
      const body = Buffer.from(text, 'latin1');
      ctx.res.writeHead(200, {
        'Content-Type': 'text/plain',
        'Content-Disposition': contentDisposition(`${n.name}.txt`),
        'Content-Length': body.length,
        Server: server,
      });
      ctx.res.end(body);
      return;
    }
    // Like minoc: no Content-Length, Digest or Content-Encoding — the bytes are made as they go out.
    ctx.res.writeHead(200, {
      'Content-Type': 'application/fits',
      'Content-Disposition': contentDisposition(cutoutFileName(n.name, slices)),
      Server: server,
    });
    await writeCutout(fd, plan, async (bytes) => {
      if (!(await writeWhenReady(ctx.res, bytes))) throw new Error('the client went away');
    }).catch(() => {
      // A failed read or a client gone mid-body: the cut connection tells the client it is incomplete.
      ctx.res.destroy();
    });
    if (!ctx.res.destroyed) ctx.res.end();
  } finally {
    await fd.close();
  }
}
