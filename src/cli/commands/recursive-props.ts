/**
 * Setting properties on a whole tree (chmod -R, tag -R): the service's recursive-nodeprops job where it
 * offers one (as vchmod -R does), otherwise node by node from the client.
 */
import { createJob, runJob } from '../../vospace/jobs.js';
import { childLocation, displayLocation, locationUri } from '../../vospace/location.js';
import { writeNodeXml } from '../../vospace/xml.js';
import type { Ctx } from '../common.js';

export async function setPropertiesRecursive(
  ctx: Ctx,
  target: string,
  props: Record<string, string | null>,
): Promise<void> {
  const client = ctx.client();
  const loc = client.location(target);
  const info = await client.getInfo(loc);
  const ep = await client.endpoints(loc);
  if (info.kind === 'container' && ep.asyncSetprops && client.session.credentials.kind !== 'anonymous') {
    const doc = writeNodeXml({
      uri: locationUri(loc),
      type: 'ContainerNode',
      properties: Object.entries(props).map(([uri, value]) =>
        value === null ? { uri, value: '', nil: true } : { uri, value },
      ),
    });
    const what = displayLocation(loc);
    const job = await createJob(client.session, ep.asyncSetprops, doc, 'text/xml', what);
    await runJob(client.session, job, what);
    return;
  }
  await client.setProperties(loc, props);
  if (info.kind !== 'container') return;
  for await (const child of client.iterate(loc)) {
    const cl = childLocation(loc, child.name);
    if (child.kind === 'container') await setPropertiesRecursive(ctx, displayLocation(cl), props);
    else await client.setProperties(cl, props);
  }
}
