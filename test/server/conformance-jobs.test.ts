/**
 * Conformance over real HTTP: async UWS jobs — moves and copies on `/transfers`, `/async-delete` and
 * `/async-setprops` — their phases, WAIT polling, results and error summaries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALICE,
  BOB,
  CADC,
  CAROL,
  CORE,
  GMS,
  childNames,
  download,
  mkdir,
  moveJob,
  nodeXml,
  nodesUrl,
  parseXml,
  readJob,
  readNode,
  runJob,
  setProps,
  startTestServer,
  transferXml,
  upload,
  vosUri,
  type Service,
  type TestServer,
} from './helpers.js';
import { md5Hex } from '../../src/util/md5.js';

let ts: TestServer;

beforeAll(async () => {
  ts = await startTestServer();
  for (const [svc, p] of [
    ['vault', 'shared'],
    ['arc', 'projects/shared'],
  ] as const) {
    await mkdir(ts, svc, p, ALICE, { [`${CORE}ispublic`]: 'true', [`${CORE}creator`]: 'alice' });
  }
});

afterAll(async () => {
  await ts.close();
});

const exists = async (svc: Service, p: string) =>
  (await ts.req('GET', nodesUrl(svc, p), { token: ALICE })).status === 200;

describe('UWS job mechanics on /transfers', () => {
  it('creates a PENDING job (303), runs it on PHASE=RUN (303), and reports it in UWS XML', async () => {
    await mkdir(ts, 'vault', 'alice/m0');
    const post = await ts.req('POST', '/vault/transfers', {
      token: ALICE,
      xml: transferXml(vosUri('vault', 'alice/m0', '!'), vosUri('vault', 'alice/m0-renamed', '!'), {
        keepBytes: false,
      }),
    });
    expect(post.status).toBe(303);
    const jobUrl = post.headers['location']!;
    expect(jobUrl).toMatch(new RegExp(`^${ts.base}/vault/transfers/[^/]+$`));
    const pending = await ts.req('GET', jobUrl, { token: ALICE });
    expect(pending.status).toBe(200);
    expect(pending.headers['content-type']).toMatch(/^text\/xml/);
    const doc = parseXml(pending.text)['uws:job'] as Record<string, unknown>;
    expect(doc['@xmlns:uws']).toBe('http://www.ivoa.net/xml/UWS/v1.0');
    expect(doc['@version']).toBe('1.1');
    expect(doc['uws:ownerId']).toBe('alice');
    expect(doc['uws:jobInfo']).toBeDefined();
    expect(readJob(pending.text).phase).toBe('PENDING');
    expect((await ts.req('GET', `${jobUrl}/phase`, { token: ALICE })).text).toBe('PENDING');
    expect(await exists('vault', 'alice/m0')).toBe(true);

    // Lower-case key and value are accepted.
    const run = await ts.req('POST', `${jobUrl}/phase`, { token: ALICE, form: { phase: 'run' } });
    expect(run.status).toBe(303);
    expect(run.headers['location']).toBe(jobUrl);
    const done = readJob((await ts.req('GET', `${jobUrl}?WAIT=10`, { token: ALICE })).text);
    expect(done.phase).toBe('COMPLETED');
    expect(done.results['destination']).toBe(vosUri('vault', 'alice/m0-renamed'));
    const results = await ts.req('GET', `${jobUrl}/results`, { token: ALICE });
    expect(results.status).toBe(200);
    expect(results.text).toContain('destination');
    const dest = await ts.req('GET', `${jobUrl}/results/destination`, { token: ALICE });
    expect(dest.status).toBe(303);
    expect(dest.headers['location']).toBe(vosUri('vault', 'alice/m0-renamed'));
    expect(await exists('vault', 'alice/m0')).toBe(false);
    expect(await exists('vault', 'alice/m0-renamed')).toBe(true);
  });

  it('aborts a pending job, deletes jobs, and keeps jobs private to their owner', async () => {
    await mkdir(ts, 'vault', 'alice/m1');
    const xml = transferXml(vosUri('vault', 'alice/m1'), vosUri('vault', 'alice/m1b'), { keepBytes: false });
    const post = await ts.req('POST', '/vault/transfers', { token: ALICE, xml });
    const jobUrl = post.headers['location']!;
    expect((await ts.req('GET', jobUrl, { token: BOB })).status).toBe(403);
    expect((await ts.req('GET', jobUrl)).status).toBe(403);
    const abort = await ts.req('POST', `${jobUrl}/phase`, { token: ALICE, form: { PHASE: 'ABORT' } });
    expect(abort.status).toBe(303);
    expect((await ts.req('GET', `${jobUrl}/phase`, { token: ALICE })).text).toBe('ABORTED');
    await ts.req('POST', `${jobUrl}/phase`, { token: ALICE, form: { PHASE: 'RUN' } });
    expect((await ts.req('GET', `${jobUrl}/phase`, { token: ALICE })).text).toBe('ABORTED');
    expect(await exists('vault', 'alice/m1')).toBe(true);

    // Listing needs authentication and shows only the caller's jobs.
    expect((await ts.req('GET', '/vault/transfers')).status).toBe(403);
    const mine = await ts.req('GET', '/vault/transfers', { token: ALICE });
    expect(mine.status).toBe(200);
    expect(mine.text).toContain(jobUrl.slice(jobUrl.lastIndexOf('/') + 1));
    expect((await ts.req('GET', '/vault/transfers', { token: BOB })).text).not.toContain(
      jobUrl.slice(jobUrl.lastIndexOf('/') + 1),
    );

    const del = await ts.req('DELETE', jobUrl, { token: ALICE });
    expect(del.status).toBe(303);
    expect((await ts.req('GET', jobUrl, { token: ALICE })).status).toBe(404);
    const post2 = await ts.req('POST', '/vault/transfers', { token: ALICE, xml });
    const viaAction = await ts.req('POST', post2.headers['location']!, {
      token: ALICE,
      form: { ACTION: 'DELETE' },
    });
    expect(viaAction.status).toBe(303);
    expect((await ts.req('GET', post2.headers['location']!, { token: ALICE })).status).toBe(404);
  });

  it('WAIT on a finished job returns at once with its final phase', async () => {
    await mkdir(ts, 'vault', 'alice/m2');
    const job = await moveJob(ts, 'vault', 'alice/m2', 'alice/m2b');
    expect(job.phase).toBe('COMPLETED');
    const post = await ts.req('POST', '/vault/transfers', {
      token: ALICE,
      xml: transferXml(vosUri('vault', 'alice/m2b'), vosUri('vault', 'alice/m2c'), { keepBytes: false }),
    });
    await ts.req('POST', `${post.headers['location']}/phase`, { token: ALICE, form: { PHASE: 'RUN' } });
    const first = readJob(
      (await ts.req('GET', `${post.headers['location']}?WAIT=30`, { token: ALICE })).text,
    );
    expect(['COMPLETED', 'EXECUTING', 'QUEUED']).toContain(first.phase);
    const final = readJob(
      (await ts.req('GET', `${post.headers['location']}?WAIT=30`, { token: ALICE })).text,
    );
    expect(final.phase).toBe('COMPLETED');
  });
});

for (const svc of ['vault', 'arc'] as Service[]) {
  const h = svc === 'vault' ? 'alice' : 'home/alice';

  describe(`${svc} moves and copies`, () => {
    it('renames when the destination does not exist, keeping the subtree and bytes', async () => {
      await mkdir(ts, svc, `${h}/mv1`);
      await upload(ts, svc, `${h}/mv1/f.txt`, 'moved bytes');
      const job = await moveJob(ts, svc, `${h}/mv1`, `${h}/mv1-new`);
      expect(job.phase).toBe('COMPLETED');
      expect(job.results['destination']).toBe(vosUri(svc, `${h}/mv1-new`));
      expect(await exists(svc, `${h}/mv1`)).toBe(false);
      const n = readNode((await ts.req('GET', nodesUrl(svc, `${h}/mv1-new/f.txt`), { token: ALICE })).text);
      expect(n.uri).toBe(vosUri(svc, `${h}/mv1-new/f.txt`));
      expect(n.props[`${CORE}MD5`]?.value).toBe(md5Hex('moved bytes'));
      expect((await download(ts, svc, `${h}/mv1-new/f.txt`)).text).toBe('moved bytes');
    });

    it('moves into an existing container keeping the name', async () => {
      await mkdir(ts, svc, `${h}/into`);
      await upload(ts, svc, `${h}/loose.txt`, 'x');
      const job = await moveJob(ts, svc, `${h}/loose.txt`, `${h}/into`);
      expect(job.phase).toBe('COMPLETED');
      expect(job.results['destination']).toBe(vosUri(svc, `${h}/into/loose.txt`));
      expect(
        childNames(readNode((await ts.req('GET', nodesUrl(svc, `${h}/into`), { token: ALICE })).text)),
      ).toEqual(['loose.txt']);
    });

    it('fails with DuplicateNode on a clash, NodeNotFound for a missing source, and refuses moves into the own subtree', async () => {
      // CADC's move job words these itself (InternalTransferAction), with the URI's path.
      await upload(ts, svc, `${h}/a.txt`, 'a');
      await upload(ts, svc, `${h}/b.txt`, 'b');
      const dup = await moveJob(ts, svc, `${h}/a.txt`, `${h}/b.txt`);
      expect(dup.phase).toBe('ERROR');
      expect(dup.errorMessage).toBe(`DuplicateNode: destination is an existing DataNode: /${h}/b.txt`);
      await mkdir(ts, svc, `${h}/clash`);
      await upload(ts, svc, `${h}/clash/a.txt`, 'other a');
      const clash = await moveJob(ts, svc, `${h}/a.txt`, `${h}/clash`);
      expect(clash.phase).toBe('ERROR');
      expect(clash.errorMessage).toBe(
        `DuplicateNode: destination is an existing DataNode: /${h}/clash/a.txt`,
      );
      expect((await download(ts, svc, `${h}/clash/a.txt`)).text).toBe('other a');

      const missing = await moveJob(ts, svc, `${h}/nope`, `${h}/nope2`);
      expect(missing.phase).toBe('ERROR');
      expect(missing.errorMessage).toBe(`NodeNotFound: /${h}/nope`);
      const noParent = await moveJob(ts, svc, `${h}/b.txt`, `${h}/no-such/b.txt`);
      expect(noParent.errorMessage).toBe(
        `NodeNotFound: Parent directory for destination /${h}/no-such/b.txt`,
      );

      await mkdir(ts, svc, `${h}/tree`);
      await mkdir(ts, svc, `${h}/tree/sub`);
      for (const [dest, resolved] of [
        [`${h}/tree/sub`, `${h}/tree/sub`],
        [`${h}/tree/sub/renamed`, `${h}/tree/sub`],
        [`${h}/tree`, `${h}/tree`],
      ] as const) {
        const own = await moveJob(ts, svc, `${h}/tree`, dest);
        expect(own.phase, dest).toBe('ERROR');
        expect(own.errorMessage).toBe(
          `InvalidArgument: Cannot move container node into its descendants: source path /${h}/tree in resolved path /${resolved}`,
        );
      }
      expect(await exists(svc, `${h}/tree/sub`)).toBe(true);
      // The error text is readable at {job}/error as Python reads it.
      const post = await ts.req('POST', `/${svc}/transfers`, {
        token: ALICE,
        xml: transferXml(vosUri(svc, `${h}/nope`), vosUri(svc, `${h}/nope3`), { keepBytes: false }),
      });
      await runJob(ts, post.headers['location']!);
      const err = await ts.req('GET', `${post.headers['location']}/error`, { token: ALICE });
      expect(err.status).toBe(200);
      expect(err.text).toBe(`NodeNotFound: /${h}/nope`);
    });

    it('needs write permission on the source parent and the destination', async () => {
      const s = svc === 'vault' ? 'shared' : 'projects/shared';
      await upload(ts, svc, `${s}/owned-by-alice.txt`, 'z');
      await mkdir(ts, svc, `${home(svc)}/landing`, BOB);
      // bob may read (public) but not write alice's area.
      const steal = await moveJob(ts, svc, `${s}/owned-by-alice.txt`, `${home(svc)}/landing`, false, BOB);
      expect(steal.phase).toBe('ERROR');
      expect(steal.errorMessage).toBe('PermissionDenied');
      expect(await exists(svc, `${s}/owned-by-alice.txt`)).toBe(true);
    });

    it('copies with keepBytes=true: the copy is independent and the source stays', async () => {
      await mkdir(ts, svc, `${h}/cp`);
      await upload(ts, svc, `${h}/cp/data.bin`, 'copy me');
      await setProps(ts, svc, `${h}/cp`, 'ContainerNode', { 'ivo://example.org/tag': 't' });
      const job = await moveJob(ts, svc, `${h}/cp`, `${h}/cp2`, true);
      expect(job.phase).toBe('COMPLETED');
      expect(job.results['destination']).toBe(vosUri(svc, `${h}/cp2`));
      expect((await download(ts, svc, `${h}/cp/data.bin`)).text).toBe('copy me');
      expect((await download(ts, svc, `${h}/cp2/data.bin`)).text).toBe('copy me');
      expect(
        readNode((await ts.req('GET', nodesUrl(svc, `${h}/cp2`), { token: ALICE })).text).props[
          'ivo://example.org/tag'
        ]?.value,
      ).toBe('t');
      await upload(ts, svc, `${h}/cp2/data.bin`, 'changed copy');
      expect((await download(ts, svc, `${h}/cp/data.bin`)).text).toBe('copy me');
      // A copy onto an existing name is a DuplicateNode too.
      const dup = await moveJob(ts, svc, `${h}/cp/data.bin`, `${h}/cp2/data.bin`, true);
      expect(dup.phase).toBe('ERROR');
    });
  });

  describe(`${svc} recursive jobs`, () => {
    it('async-delete removes a whole subtree and counts successes as final:N', async () => {
      await mkdir(ts, svc, `${h}/rm`);
      await mkdir(ts, svc, `${h}/rm/a`);
      await upload(ts, svc, `${h}/rm/a/f1`, '1');
      await upload(ts, svc, `${h}/rm/f2`, '2');
      const post = await ts.req('POST', `/${svc}/async-delete`, {
        token: ALICE,
        form: { target: vosUri(svc, `${h}/rm`, '!') },
      });
      expect(post.status).toBe(303);
      const jobUrl = post.headers['location']!;
      expect(jobUrl).toMatch(new RegExp(`^${ts.base}/${svc}/async-delete/[^/]+$`));
      const job = await runJob(ts, jobUrl, ALICE, 'phase');
      expect(job.phase).toBe('COMPLETED');
      expect(job.results['successcount']).toBe('final:4');
      expect(job.results['errorcount']).toBeUndefined();
      expect(await exists(svc, `${h}/rm`)).toBe(false);
    });

    it('async-delete reports partial failures (ABORTED, errorcount) and total failure (ERROR)', async () => {
      const s = svc === 'vault' ? 'shared' : 'projects/shared';
      await mkdir(ts, svc, `${s}/part`, ALICE, { [`${CORE}groupwrite`]: `${GMS}survey` });
      await mkdir(ts, svc, `${s}/part/open`, ALICE, { [`${CORE}groupwrite`]: `${GMS}survey` });
      await upload(ts, svc, `${s}/part/open/x`, 'x');
      await mkdir(ts, svc, `${s}/part/closed`);
      await upload(ts, svc, `${s}/part/closed/y`, 'y');
      // bob may delete only inside group-writable containers: part/open/x and part/open go; part/closed/y
      // fails, which keeps part/closed and part alive (counted as failures too).
      const post = await ts.req('POST', `/${svc}/async-delete`, {
        token: BOB,
        form: { target: vosUri(svc, `${s}/part`) },
      });
      const job = await runJob(ts, post.headers['location']!, BOB);
      expect(job.phase).toBe('ABORTED');
      expect(job.results['successcount']).toBe('final:2');
      expect(job.results['errorcount']).toBe('final:3');
      expect(await exists(svc, `${s}/part/open`)).toBe(false);
      expect(await exists(svc, `${s}/part/closed/y`)).toBe(true);
      expect(await exists(svc, `${s}/part`)).toBe(true);
      const none = await ts.req('POST', `/${svc}/async-delete`, {
        token: CAROL,
        form: { target: vosUri(svc, `${s}/part`) },
      });
      const failed = await runJob(ts, none.headers['location']!, CAROL);
      expect(failed.phase).toBe('ERROR');
      expect(failed.errorMessage).toBeTruthy();
      const missing = await ts.req('POST', `/${svc}/async-delete`, {
        token: ALICE,
        form: { target: vosUri(svc, `${h}/gone`) },
      });
      expect((await runJob(ts, missing.headers['location']!)).phase).toBe('ERROR');
      // A missing target parameter is refused at creation.
      expect((await ts.req('POST', `/${svc}/async-delete`, { token: ALICE, form: {} })).status).toBe(400);
    });

    it('async-setprops applies properties to every node (successcount) and reports nodes it may not touch', async () => {
      await mkdir(ts, svc, `${h}/sp`);
      await mkdir(ts, svc, `${h}/sp/a`);
      await upload(ts, svc, `${h}/sp/a/f`, 'f');
      const post = await ts.req('POST', `/${svc}/async-setprops`, {
        token: ALICE,
        xml: nodeXml(vosUri(svc, `${h}/sp`, '!'), 'ContainerNode', {
          [`${CORE}groupread`]: `${GMS}survey`,
          'ivo://example.org/tag': 'all',
        }),
      });
      expect(post.status).toBe(303);
      expect(post.headers['location']).toMatch(new RegExp(`^${ts.base}/${svc}/async-setprops/[^/]+$`));
      const job = await runJob(ts, post.headers['location']!, ALICE, 'phase');
      expect(job.phase).toBe('COMPLETED');
      expect(job.results['successcount']).toBe('final:3');
      for (const p of [`${h}/sp`, `${h}/sp/a`, `${h}/sp/a/f`]) {
        const n = readNode((await ts.req('GET', nodesUrl(svc, p), { token: ALICE })).text);
        expect(n.props[`${CORE}groupread`]?.value, p).toBe(`${GMS}survey`);
        expect(n.props['ivo://example.org/tag']?.value, p).toBe('all');
      }

      const s = svc === 'vault' ? 'shared' : 'projects/shared';
      await mkdir(ts, svc, `${s}/sp`, ALICE, { [`${CORE}groupwrite`]: `${GMS}survey` });
      await mkdir(ts, svc, `${s}/sp/locked-out`);
      const partial = await ts.req('POST', `/${svc}/async-setprops`, {
        token: BOB,
        xml: nodeXml(vosUri(svc, `${s}/sp`), 'ContainerNode', { 'ivo://example.org/by': 'bob' }),
      });
      const pj = await runJob(ts, partial.headers['location']!, BOB);
      expect(pj.phase).toBe('ABORTED');
      expect(pj.results['successcount']).toBe('final:1');
      expect(pj.results['errorcount']).toBe('final:1');
      const carol = await ts.req('POST', `/${svc}/async-setprops`, {
        token: CAROL,
        xml: nodeXml(vosUri(svc, `${s}/sp`), 'ContainerNode', { 'ivo://example.org/by': 'carol' }),
      });
      expect((await runJob(ts, carol.headers['location']!, CAROL)).phase).toBe('ERROR');
      // Malformed node documents are refused at creation.
      expect((await ts.req('POST', `/${svc}/async-setprops`, { token: ALICE, xml: '<node' })).status).toBe(
        400,
      );
      // A lock set recursively is honoured (vault) or ignored (arc) like a direct update.
      const lock = await ts.req('POST', `/${svc}/async-setprops`, {
        token: ALICE,
        xml: nodeXml(vosUri(svc, `${h}/sp`), 'ContainerNode', { [`${CADC}islocked`]: 'true' }),
      });
      expect((await runJob(ts, lock.headers['location']!)).phase).toBe('COMPLETED');
      const f = readNode((await ts.req('GET', nodesUrl(svc, `${h}/sp/a/f`), { token: ALICE })).text);
      expect(f.props[`${CADC}islocked`]?.value).toBe(svc === 'vault' ? 'true' : undefined);
    });
  });
}

function home(svc: Service): string {
  return svc === 'vault' ? 'bob' : 'home/bob';
}
