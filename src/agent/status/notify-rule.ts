/**
 * What is worth a desktop notification: one pure function from what was already said about a pair and what
 * its status is now to the notes to send. A new conflict, a pause by a safety rule, an action that starts
 * failing, the server out of reach for longer than the configured minutes. The same conflict (or failure, or
 * pause, or outage) is never said twice, and each kind is said at most once per pair per QUIET_MS: what comes
 * meanwhile waits and is said together when the quiet time is over.
 */

export type NoteKind = 'conflict' | 'paused' | 'failing' | 'offline';

export interface NotifyFacts {
  /** Open conflicts, each by its conflict copy (or its path when it has none). */
  conflicts: readonly string[];
  /** Why the pair is paused by a safety rule (not by the user), or null. */
  safetyPause: string | null;
  /** Actions failing, each by its path (or '' for the pair as a whole), with what went wrong. */
  failing: readonly { key: string; message: string }[];
  /** When the server stopped answering, while offline. */
  offlineSince: number | null;
}

export interface NotifyMemory {
  conflicts: ReadonlySet<string>;
  failing: ReadonlySet<string>;
  /** The pause already said (null: none, or over). */
  pause: string | null;
  /** The outage already said, by when it began. */
  offlineSaid: number | null;
  lastSent: Readonly<Partial<Record<NoteKind, number>>>;
}

export interface Note {
  kind: NoteKind;
  title: string;
  message: string;
}

export interface NotifySettings {
  now: number;
  /** How long offline before it is said. */
  offlineAfterMs: number;
  /** Each kind at most once per this long. */
  quietMs?: number;
}

export const QUIET_MS = 5 * 60_000;

const SHOWN = 3;

function list(items: readonly string[]): string {
  const head = items.slice(0, SHOWN).join(', ');
  return items.length > SHOWN ? `${head} and ${items.length - SHOWN} more` : head;
}

/**
 * The notes to send for a pair now, and what has been said after sending them. The first look at a pair
 * (`memory` undefined) says nothing: conflicts, failures and pauses already there when the daemon starts were
 * there before (conflicts survive restarts as the copies on disk).
 */
export function decideNotes(
  pair: string,
  memory: NotifyMemory | undefined,
  facts: NotifyFacts,
  s: NotifySettings,
): { notes: Note[]; memory: NotifyMemory } {
  const failingKeys = facts.failing.map((f) => f.key);
  if (!memory)
    return {
      notes: [],
      memory: {
        conflicts: new Set(facts.conflicts),
        failing: new Set(failingKeys),
        pause: facts.safetyPause,
        offlineSaid: null,
        lastSent: {},
      },
    };
  const quiet = s.quietMs ?? QUIET_MS;
  const notes: Note[] = [];
  const lastSent = { ...memory.lastSent };
  const due = (kind: NoteKind) => lastSent[kind] === undefined || s.now - lastSent[kind] >= quiet;
  const say = (kind: NoteKind, title: string, message: string) => {
    notes.push({ kind, title, message });
    lastSent[kind] = s.now;
  };

  // What is no longer open is forgotten; what is new and not said waits for its quiet time to be over.
  const conflicts = new Set(facts.conflicts.filter((c) => memory.conflicts.has(c)));
  const newConflicts = facts.conflicts.filter((c) => !memory.conflicts.has(c));
  if (newConflicts.length > 0 && due('conflict')) {
    say(
      'conflict',
      `vosync: ${newConflicts.length === 1 ? 'a conflict' : `${newConflicts.length} conflicts`} in ${pair}`,
      `both versions kept: ${list(newConflicts)}`,
    );
    for (const c of newConflicts) conflicts.add(c);
  }

  const failing = new Set(failingKeys.filter((k) => memory.failing.has(k)));
  const newFailing = facts.failing.filter((f) => !memory.failing.has(f.key));
  if (newFailing.length > 0 && due('failing')) {
    const first = newFailing[0]!;
    say(
      'failing',
      `vosync: ${pair} has ${newFailing.length === 1 ? 'a file' : `${newFailing.length} files`} failing`,
      `${first.key ? `${first.key}: ` : ''}${first.message}${newFailing.length > 1 ? ` (and ${newFailing.length - 1} more)` : ''}`,
    );
    for (const f of newFailing) failing.add(f.key);
  }

  let pause = facts.safetyPause === null ? null : memory.pause;
  if (facts.safetyPause !== null && facts.safetyPause !== memory.pause && due('paused')) {
    say('paused', `vosync: ${pair} is paused`, facts.safetyPause);
    pause = facts.safetyPause;
  }

  let offlineSaid = memory.offlineSaid;
  const since = facts.offlineSince;
  if (since !== null && since !== offlineSaid && s.now - since >= s.offlineAfterMs && due('offline')) {
    const minutes = Math.floor((s.now - since) / 60_000);
    say(
      'offline',
      `vosync: ${pair} is offline`,
      `the server has not answered for ${minutes < 1 ? 'under a minute' : `${minutes} min`}; changes wait until it does`,
    );
    offlineSaid = since;
  }

  return { notes, memory: { conflicts, failing, pause, offlineSaid, lastSent } };
}
