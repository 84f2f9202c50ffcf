/**
 * Remote sources of `cp`/`cat` with a view: vcp's cutout suffixes (`f.fits[1][1:100,1:100]`,
 * `f.fits(RA,DEC,RADIUS)`) split off before the node is looked up, or `--head` for the headers only.
 */
import { CutoutSyntaxError, describeView, splitCutout, type DataView } from '../../vospace/cutout.js';
import { CliError, EXIT } from '../common.js';

/** A source argument: a local path, or a remote node as typed without its cutout, and what to get of it. */
export interface SourceArg {
  arg: string;
  view?: DataView;
}

/** Splits a remote argument into its node and view; a malformed cutout is a clear error. */
export function remoteSource(arg: string, head: boolean): SourceArg {
  let split: ReturnType<typeof splitCutout>;
  try {
    split = splitCutout(arg);
  } catch (e) {
    if (e instanceof CutoutSyntaxError) throw new CliError(`${arg}: ${e.message}`, EXIT.invalid);
    throw e;
  }
  if (split.view && head) {
    throw new CliError(`${arg}: --head gives the headers of whole files; leave out the cutout`, EXIT.invalid);
  }
  const view: DataView | undefined = split.view ?? (head ? { kind: 'headers' } : undefined);
  return view ? { arg: split.path, view } : { arg: split.path };
}

/** vcp's local name for a cutout: the file's name followed by the cutout as typed (`f.fits[1][1:10,1:10]`). */
export function cutoutLocalName(name: string, view: DataView | undefined): string {
  return view && view.kind !== 'headers' ? name + describeView(view) : name;
}
