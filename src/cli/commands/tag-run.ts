/** `vosync tag` / `vtag` when it runs: property names and the change (its options are in tag.ts). */
import { CORE } from '../../vospace/xml.js';
import { CliError, EXIT, requireRemote, type Ctx } from '../common.js';
import { setPropertiesRecursive } from './recursive-props.js';
import { isRemoteArg } from './targets.js';

/** The bare names vos expands to core URIs (vos `Node.fix_prop`). */
const CORE_NAMES = new Set([
  'title',
  'creator',
  'subject',
  'description',
  'publisher',
  'contributer',
  'date',
  'type',
  'format',
  'identifier',
  'source',
  'language',
  'relation',
  'coverage',
  'rights',
  'availableSpace',
  'groupread',
  'groupwrite',
  'publicread',
  'quota',
  'length',
  'MD5',
  'mtime',
  'ctime',
  'ispublic',
]);

export function propertyUri(name: string): string {
  return CORE_NAMES.has(name) ? CORE + name : name;
}

export function shortName(uri: string): string {
  return uri.startsWith(CORE) && CORE_NAMES.has(uri.slice(CORE.length)) ? uri.slice(CORE.length) : uri;
}

/** `key=value` → set, `key=` → remove; with --remove every argument is a key to remove. */
export function parseTagArgs(args: string[], remove: boolean): Record<string, string | null> {
  const props: Record<string, string | null> = {};
  for (const a of args) {
    const eq = a.indexOf('=');
    if (remove) {
      if (eq >= 0) throw new CliError(`${a}: --remove takes property names, not key=value`, EXIT.invalid);
      props[propertyUri(a)] = null;
      continue;
    }
    if (eq <= 0) throw new CliError(`${a}: expected key=value (or key= to remove)`, EXIT.invalid);
    const value = a.slice(eq + 1);
    props[propertyUri(a.slice(0, eq))] = value === '' ? null : value;
  }
  return props;
}

export async function runTag(
  ctx: Ctx,
  node: string,
  args: string[],
  opts: { remove?: boolean; recursive?: boolean },
): Promise<void> {
  requireRemote([node], isRemoteArg);
  const client = ctx.client();
  const single = args.length === 1 && !args[0]!.includes('=') && !opts.remove;
  if (args.length === 0 || single) {
    const info = await client.getInfo(node);
    if (single) {
      const uri = propertyUri(args[0]!);
      const value = info.properties[uri];
      if (value === undefined) throw new CliError(`${node}: no property ${args[0]}`, EXIT.notFound);
      ctx.result({ node, properties: { [uri]: value } });
      ctx.out(`${value}\n`);
      return;
    }
    ctx.result({ node, properties: info.properties });
    for (const [k, v] of Object.entries(info.properties).sort()) ctx.out(`${shortName(k)}=${v}\n`);
    return;
  }
  const props = parseTagArgs(args, Boolean(opts.remove));
  for (const uri of Object.keys(props)) {
    if (!uri.includes(':')) {
      ctx.log.warn(
        `property name '${uri}' is not a URI; services may ignore it (use e.g. ivo://example.org/props#${uri})`,
      );
    }
  }
  if (opts.recursive) await setPropertiesRecursive(ctx, node, props);
  else await client.setProperties(node, props);
  if (ctx.json) ctx.result({ node, properties: (await client.getInfo(node)).properties });
}
