/**
 * Cutouts and headers of remote FITS files, asked of the storage as CADC's client asks: the data URL found
 * as for a download (Vault's `/files` answers 303 to storage), the SODA parameters added to it, the answer
 * saved to a file or streamed. ARC has no SODA, so a view there is refused before any request, as CADC's
 * client refuses it. A view has no Digest or length to check: the storage makes it as it sends it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Client, TransferOutcome } from './client.js';
import { describeView, withView, type DataView } from './cutout.js';
import { VosError } from './errors.js';
import { displayLocation, type NodeLocation } from './location.js';
import { fetchToTemp, resolveDownloadUrls, type ProgressCallback } from './transfer.js';

/** A node with its view, for messages: `vos:a/f.fits[1][1:10,1:10]`, `vos:a/f.fits (headers)`. */
function viewLabel(loc: NodeLocation, view: DataView): string {
  return `${displayLocation(loc)}${view.kind === 'headers' ? ' (headers)' : describeView(view)}`;
}

async function viewUrls(client: Client, loc: NodeLocation, view: DataView): Promise<string[]> {
  const what = viewLabel(loc, view);
  const ep = await client.endpoints(loc);
  if (!ep.vaultLike) {
    throw new VosError(
      'unsupported',
      `${what}: the ARC service does not support cutouts or header operations`,
    );
  }
  const { urls, empty } = await resolveDownloadUrls(client.session, ep, loc);
  if (empty || urls.length === 0) throw new VosError('invalid', `${what}: the file is empty, not FITS`);
  return urls.map((u) => withView(u, view));
}

/** Saves a view of a remote file as `localFile` (a temp file renamed once complete). */
export async function downloadView(
  client: Client,
  target: string | NodeLocation,
  localFile: string,
  view: DataView,
  opts: { onProgress?: ProgressCallback } = {},
): Promise<TransferOutcome> {
  const loc = client.location(target);
  const urls = await viewUrls(client, loc, view);
  fs.mkdirSync(path.dirname(localFile), { recursive: true });
  const what = `${viewLabel(loc, view)} → ${localFile}`;
  const got = await fetchToTemp(client.session, urls, localFile, what, opts);
  fs.renameSync(got.file, localFile);
  return { md5: got.md5, size: got.size, skipped: false };
}

/** Streams a view of a remote file. */
export async function openView(
  client: Client,
  target: string | NodeLocation,
  view: DataView,
): Promise<Readable> {
  const loc = client.location(target);
  const urls = await viewUrls(client, loc, view);
  const res = await client.session.expect({ method: 'GET', url: urls[0]! }, [200], viewLabel(loc, view));
  return res.body;
}
