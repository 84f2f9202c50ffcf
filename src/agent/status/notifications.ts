/**
 * The daemon's notifications: after each change of a pair's status (and on the housekeeping tick, for the
 * offline threshold), ask the rule what is new and send it. Keeps what was said per pair, in memory.
 */
import type { VosyncConfig } from '../config/index.js';
import type { Logger } from '../log.js';
import { decideNotes, type NotifyFacts, type NotifyMemory } from './notify-rule.js';
import { desktopSender, type SendNote } from './notify-send.js';

export class Notifications {
  private readonly said = new Map<string, NotifyMemory>();
  /** Pairs whose start-up state is known (conflicts from before a restart restored): the rule's first look. */
  private readonly watching = new Set<string>();
  private sender: { command: string | undefined; send: SendNote } | undefined;

  constructor(
    private readonly o: {
      settings: () => VosyncConfig['notifications'];
      facts: (pair: string) => NotifyFacts | undefined;
      now: () => number;
      log: Logger;
      env?: NodeJS.ProcessEnv;
      platform?: NodeJS.Platform;
    },
  ) {}

  private send(title: string, message: string): void {
    const command = this.o.settings().command;
    if (!this.sender || this.sender.command !== command) {
      const send = desktopSender({
        ...(command ? { command } : {}),
        env: this.o.env ?? process.env,
        platform: this.o.platform ?? process.platform,
        onError: (e) => this.o.log.debug(`notification not shown: ${e.message}`),
      });
      this.sender = { command, send };
    }
    this.sender.send(title, message);
  }

  /** Starts looking at a pair: what it holds now is not news. */
  begin(pair: string): void {
    this.watching.add(pair);
    this.said.delete(pair);
    this.check(pair);
  }

  check(pair: string): void {
    if (!this.watching.has(pair)) return;
    const facts = this.o.facts(pair);
    if (!facts) {
      this.watching.delete(pair);
      this.said.delete(pair);
      return;
    }
    const settings = this.o.settings();
    const before = this.said.get(pair);
    const { notes, memory } = decideNotes(pair, before, facts, {
      now: this.o.now(),
      offlineAfterMs: settings.offlineMinutes * 60_000,
    });
    if (!settings.enabled) {
      // Switched off, the rule still keeps track, so switching on later does not repeat old news; but
      // nothing was sent, so no quiet time started.
      this.said.set(pair, { ...memory, lastSent: before?.lastSent ?? {} });
      return;
    }
    this.said.set(pair, memory);
    for (const n of notes) {
      this.o.log.info(`notification: ${n.title}: ${n.message}`);
      this.send(n.title, n.message);
    }
  }
}
