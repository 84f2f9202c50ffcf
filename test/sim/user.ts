/**
 * The simulated user: random changes on either side of a pair — create, edit, delete, rename or move, file↔folder
 * swap, case-only rename, an unstorable name, and the same content written on both sides — over a tiny tree (at
 * most ~8 paths, two levels of folders), every content unique. Keeps the ledger of content versions that must
 * survive: a version enters when written, and leaves only when the user overwrites or deletes it.
 */
import type { Rng } from './rng.js';
import { nodeNameProblem } from '../../src/vospace/uri.js';
import { isAtOrBelow, type Item, type Side, type Tree } from './sides.js';
import { md5Hex } from '../../src/util/md5.js';
import { parentOf } from '../../src/util/rel-path.js';

/** Names the user picks from: few, so paths collide and swap kinds often; `A.txt` and `D` are case variants. */
const NAMES = ['a.txt', 'b.txt', 'c', 'd', 'e', 'A.txt', 'D'];
const MAX_PATHS = 8;
const MAX_DEPTH = 2;

export type UserOp = 'create' | 'edit' | 'delete' | 'rename' | 'swap' | 'case-rename' | 'unstorable' | 'twin';

/** Content versions that existed and were not deliberately destroyed by the user (see User.destroying). */
export class Ledger {
  /** `owed` is shared by the ledgers of replicas of one folder (see `replica`). */
  constructor(
    private readonly owed = new Map<string, string>(),
    private readonly replicas = new Map<string, Ledger>(),
  ) {}

  /**
   * The ledger of another replica of the same remote folder (a second machine): the same versions owed, its
   * own view of what it last held in sync with the remote.
   */
  replica(): Ledger {
    return new Ledger(this.owed, this.replicas);
  }

  /** Names this replica after its machine, so that a change made on two machines at once reaches both ledgers. */
  named(label: string): this {
    this.replicas.set(label, this);
    return this;
  }

  /** The ledger of the replica named `label`, if one is. */
  of(label: string | undefined): Ledger | undefined {
    return label === undefined ? undefined : this.replicas.get(label);
  }

  add(content: string, where: string): void {
    if (content === '') return; // the empty file is everywhere and nowhere: not tracked
    this.owed.set(md5Hex(content), where);
  }

  /** Version → the path this replica's user wrote it at. */
  private readonly written = new Map<string, string>();

  /** This replica's user wrote `content` at `path` on its local side. */
  wroteLocally(content: string, path: string): void {
    this.written.set(md5Hex(content), path);
  }

  /** This replica's user moved `from` to `to`: a version written at an old path counts as written at its new one. */
  movedLocally(t: Tree, from: string, to: string): void {
    for (const [q, i] of t) {
      if (i.kind !== 'file' || !i.md5 || !isAtOrBelow(q, from)) continue;
      if (this.written.get(i.md5) === q) this.written.set(i.md5, to + q.slice(from.length));
    }
  }

  /** Path → the version both sides last held there (observed from the real bytes after each sync cycle). */
  private readonly synced = new Map<string, string>();

  retire(md5s: Iterable<string>): void {
    for (const m of md5s) this.owed.delete(m);
  }

  /**
   * After a sync cycle: where both sides hold the same file, or the agent's index records the version the remote
   * holds as synced (`bases`, path → MD5), that version is now the synced one.
   */
  noteSynced(local: Tree, remote: Tree, bases: ReadonlyMap<string, string> = new Map()): void {
    for (const [p, l] of local) {
      const r = remote.get(p);
      if (l.kind === 'file' && r?.kind === 'file' && l.md5 === r.md5) this.synced.set(p, l.md5!);
    }
    for (const [p, m] of bases) if (remote.get(p)?.md5 === m) this.synced.set(p, m);
  }

  /**
   * New local content arrives at `paths` (written, or renamed there). Where the remote still holds the synced
   * version of such a path (the last one seen on both sides, or the one both sides hold right now), the sync will
   * overwrite it by design (only conflict losers go to the remote trash), so that version may vanish. So may a
   * version this replica's user wrote at that path, once uploaded: deleting it and writing anew is an edit, even
   * while the cycle that uploads the old version has not yet recorded it as synced.
   */
  localArrival(paths: Iterable<string>, local: Tree, remote: Tree): void {
    for (const p of paths) {
      const v = remote.get(p)?.md5;
      if (v === undefined) continue;
      if (this.synced.get(p) === v || local.get(p)?.md5 === v || this.written.get(v) === p)
        this.owed.delete(v);
    }
  }

  entries(): [string, string][] {
    return [...this.owed.entries()];
  }
}

/** The side as the story names it: its label (a machine's name), else local or remote. */
function who(side: Side): string {
  return side.label ?? side.name;
}

function depth(p: string): number {
  return p === '' ? 0 : p.split('/').length;
}

function join(parent: string, name: string): string {
  return parent === '' ? name : `${parent}/${name}`;
}

function filesAtOrBelow(t: Tree, root: string): string[] {
  const out: string[] = [];
  for (const [p, i] of t) if (i.kind === 'file' && isAtOrBelow(p, root) && i.md5) out.push(i.md5);
  return out;
}

function toggleCase(name: string): string {
  const c = name[0]!;
  const t = c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase();
  return t + name.slice(1);
}

export class User {
  private seq = 0;

  constructor(
    private readonly rng: Rng,
    private readonly ledger: Ledger,
    private readonly label: string,
    private readonly log: (line: string) => void,
    private readonly remote: Side,
    /**
     * MD5s held anywhere a deleted or overwritten version could still be synced from; default: the other side
     * of the change. With several replicas: the remote and every other replica.
     */
    private readonly elsewhere?: () => Promise<Set<string | undefined>>,
  ) {}

  /** Unique content (sizes vary; now and then an empty file). */
  private content(where: string): string {
    if (this.rng.chance(0.04)) return '';
    return `${this.label}#${this.seq++} ${where} ${'x'.repeat(this.rng.int(0, 40))}\n`;
  }

  private async write(side: Side, rel: string, what: string): Promise<void> {
    const c = this.content(`${who(side)}:${rel}`);
    if (side.name === 'local') this.ledger.localArrival([rel], await side.tree(), await this.remote.tree());
    await side.writeFile(rel, c);
    this.ledger.add(c, `${who(side)}:${rel} (${what})`);
    if (side.name === 'local') this.ledger.wroteLocally(c, rel);
    this.log(`  user ${who(side)}: ${what} ${rel} (${c.length} bytes)`);
  }

  /**
   * The user is about to delete or overwrite `p` (and everything below it) on `side`. Those versions may vanish
   * only when no copy of them exists on the other side: the sync must keep that copy, in place or in a trash.
   * The exception is new local content where the remote holds the synced version: a local edit in place, or a
   * write or rename onto such a path (see Ledger.localArrival).
   */
  private async destroying(side: Side, other: Side, t: Tree, p: string, inPlaceEdit = false): Promise<void> {
    // A local edit in place: the remote copy of the old version (wherever an unreplayed rename left it) is the
    // synced one, which the upload of the edit overwrites by design.
    if (side.name === 'local' && inPlaceEdit) return this.ledger.retire(filesAtOrBelow(t, p));
    const elsewhere = this.elsewhere
      ? await this.elsewhere()
      : new Set([...(await other.tree()).values()].map((i) => i.md5));
    this.ledger.retire(filesAtOrBelow(t, p).filter((m) => !elsewhere.has(m)));
  }

  /** Local renames bring content to new paths: the same exception as a write there. */
  private async move(side: Side, t: Tree, from: string, to: string): Promise<void> {
    if (side.name === 'local') {
      const arriving = [...t.keys()]
        .filter((q) => isAtOrBelow(q, from))
        .map((q) => to + q.slice(from.length));
      this.ledger.localArrival(arriving, t, await this.remote.tree());
      this.ledger.movedLocally(t, from, to);
    }
    await side.move(from, to);
  }

  private freeParents(t: Tree, avoid?: string): string[] {
    const out = [''];
    for (const [p, i] of t) {
      if (i.kind === 'dir' && depth(p) < MAX_DEPTH && !(avoid !== undefined && isAtOrBelow(p, avoid)))
        out.push(p);
    }
    return out;
  }

  /** One random change on `side`; `other` is only used for the "same content on both sides" case. */
  async act(side: Side, other: Side): Promise<void> {
    const t = await side.tree();
    const entries = [...t.keys()];
    const files = entries.filter((p) => t.get(p)!.kind === 'file');
    const full = entries.length >= MAX_PATHS;
    const op = this.rng.weighted<UserOp>([
      [full ? 0.3 : 3, 'create'],
      [files.length > 0 ? 3 : 0, 'edit'],
      [entries.length > 0 ? 1.5 : 0, 'delete'],
      [entries.length > 0 ? 1.5 : 0, 'rename'],
      [entries.length > 0 ? 1 : 0, 'swap'],
      [entries.length > 0 ? 0.7 : 0, 'case-rename'],
      [side.name === 'local' && !full ? 0.15 : 0, 'unstorable'],
      [0.6, 'twin'],
    ]);
    switch (op) {
      case 'create': {
        const p = join(this.rng.pick(this.freeParents(t)), this.rng.pick(NAMES));
        if (t.has(p)) return this.log(`  user ${who(side)}: create ${p} skipped (exists)`);
        if (this.rng.chance(0.75)) return this.write(side, p, 'create');
        await side.mkdir(p);
        this.log(`  user ${who(side)}: mkdir ${p}`);
        if (this.rng.chance(0.5)) await this.write(side, join(p, this.rng.pick(NAMES)), 'create');
        return;
      }
      case 'edit': {
        const p = this.rng.pick(files);
        await this.destroying(side, other, t, p, true);
        return this.write(side, p, 'edit');
      }
      case 'delete': {
        const p = this.rng.pick(entries);
        await this.destroying(side, other, t, p);
        await side.remove(p);
        return this.log(`  user ${who(side)}: delete ${p}`);
      }
      case 'rename': {
        const from = this.rng.pick(entries);
        const to = join(this.rng.pick(this.freeParents(t, from)), this.rng.pick(NAMES));
        if (t.has(to) || isAtOrBelow(to, from) || depth(to) > MAX_DEPTH + 1) {
          return this.log(`  user ${who(side)}: rename ${from} → ${to} skipped`);
        }
        await this.move(side, t, from, to);
        return this.log(`  user ${who(side)}: rename ${from} → ${to}`);
      }
      case 'swap': {
        const p = this.rng.pick(entries);
        await this.destroying(side, other, t, p);
        const wasDir = t.get(p)!.kind === 'dir';
        await side.remove(p);
        if (wasDir) return this.write(side, p, 'folder → file');
        await side.mkdir(p);
        this.log(`  user ${who(side)}: file → folder ${p}`);
        if (this.rng.chance(0.6)) await this.write(side, join(p, this.rng.pick(NAMES)), 'create');
        return;
      }
      case 'case-rename': {
        const from = this.rng.pick(entries);
        const name = from.slice(from.lastIndexOf('/') + 1);
        const to = join(parentOf(from), toggleCase(name));
        if (to === from || t.has(to)) return this.log(`  user ${who(side)}: case-rename ${from} skipped`);
        await this.move(side, t, from, to);
        return this.log(`  user ${who(side)}: case-rename ${from} → ${to}`);
      }
      case 'unstorable': {
        const p = join(this.rng.pick(this.freeParents(t)), 'has space.txt');
        if (t.has(p)) return;
        return this.write(side, p, 'create (unstorable name)');
      }
      case 'twin': {
        // The same content written at the same path on both sides: must end as "in sync", never a conflict.
        const ot = await other.tree();
        const candidates = [...new Set([...files, ...NAMES])].filter((p) => {
          const a = t.get(p);
          const b = ot.get(p);
          const fileOrFree = (i: Item | undefined) => i === undefined || i.kind === 'file';
          return fileOrFree(a) && fileOrFree(b) && depth(p) <= 1 && nodeNameProblem(p) === undefined;
        });
        if (candidates.length === 0) return;
        const p = this.rng.pick(candidates);
        const c = this.content(`both:${p}`);
        this.ledger.retire(filesAtOrBelow(t, p));
        this.ledger.retire(filesAtOrBelow(ot, p));
        // New content arriving on each machine: the remote's synced version may go, as after any local write.
        const remoteTree = await this.remote.tree();
        if (side.name === 'local') this.ledger.localArrival([p], t, remoteTree);
        if (other.name === 'local') this.ledger.of(other.label)?.localArrival([p], ot, remoteTree);
        await side.writeFile(p, c);
        await other.writeFile(p, c);
        this.ledger.add(c, `both:${p}`);
        return this.log(
          `  user ${side.label ? `${side.label}+${other.label}` : 'both'}: same content at ${p}`,
        );
      }
    }
  }

  /**
   * A change aimed at one path (the one the agent is about to transfer, move or delete): edit or delete it,
   * create it, or put something inside it; a random change when none fits.
   */
  async actOn(side: Side, other: Side, rel: string): Promise<void> {
    const t = await side.tree();
    const item = t.get(rel);
    if (rel !== '' && item?.kind === 'file') {
      const edit = this.rng.chance(0.7);
      await this.destroying(side, other, t, rel, edit);
      if (edit) return this.write(side, rel, 'edit (mid-cycle)');
      await side.remove(rel);
      return this.log(`  user ${who(side)}: delete (mid-cycle) ${rel}`);
    }
    if (
      rel !== '' &&
      item === undefined &&
      t.get(parentOf(rel))?.kind !== 'file' &&
      depth(rel) <= MAX_DEPTH + 1
    ) {
      if (parentOf(rel) === '' || t.has(parentOf(rel))) return this.write(side, rel, 'create (mid-cycle)');
    }
    if (item?.kind === 'dir' || rel === '') {
      if (rel !== '' && this.rng.chance(0.4)) {
        await this.destroying(side, other, t, rel);
        await side.remove(rel);
        return this.log(`  user ${who(side)}: delete (mid-cycle) ${rel}`);
      }
      const p = join(rel, this.rng.pick(NAMES));
      if (!t.has(p) && depth(p) <= MAX_DEPTH + 1) return this.write(side, p, 'create (mid-cycle)');
    }
    return this.act(side, other);
  }

  /** Keeps at least one file on a side, so the root guard never (rightly) halts an emptied pair. */
  async keepOneFile(side: Side): Promise<void> {
    const t = await side.tree();
    if ([...t.values()].some((i) => i.kind === 'file')) return;
    const p = NAMES.find((n) => !t.has(n));
    if (p) await this.write(side, p, 'create (keeper)');
  }
}
