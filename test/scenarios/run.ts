/**
 * Golden scenarios: small stories of machines sharing one remote folder, written in a line-per-step text
 * language (test/scenarios/*.txt), run on the real engine against the in-memory remote, and compared with the
 * trace they left last time (*.golden: every plan, result and conflict, and the final trees). The language:
 *
 *   machines a b                      machines sharing the folder (each its own local folder, index and clock)
 *   config b conflict: local-wins     a line of YAML added to a machine's pair
 *   a write notes.txt some text       a user's change on a machine, or on the remote (`remote write …`);
 *   a mkdir d | a rm p | a mv p q     `write` takes the rest of the line ("" for an empty file)
 *   sync a                            one cycle of machine a; `, crash at LABEL` kills it at the first point so
 *                                     labelled (`put done`, `commit`, `after upload`, …); `, before LABEL: CHANGE`
 *                                     makes a change just before a's call so labelled (`upload`, `download`, …)
 *   settle                            cycles on every machine in turn until a round plans nothing
 *   wait 30                           seconds pass on every clock
 *   expect a notes.txt some text      what a side holds: text, `folder`, `absent`; `expect a copies 1` counts
 *   expect same                       conflict copies; `same`: every machine holds what the remote holds
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseConfigText, type PairConfig } from '../../src/agent/config/index.js';
import { syncPair, type CycleResult } from '../../src/agent/engine/pair-sync.js';
import { PLACEHOLDER_GRACE_MS } from '../../src/agent/engine/prepare.js';
import { isConflictCopyName } from '../../src/agent/reconcile/conflict-name.js';
import { isPlanEmpty } from '../../src/agent/reconcile/index.js';
import { SyncIndex } from '../../src/agent/store/index-db.js';
import { MemoryRemote } from '../support/memory-remote.js';
import { Fate, instrumentIndex } from '../sim/crash.js';
import { simGate } from '../sim/gate.js';
import { describePlan } from '../sim/run.js';
import { LocalSide, MemorySide, type Side, type Tree } from '../sim/sides.js';
import type { SimWorld } from '../sim/world.js';
import { md5Hex } from '../../src/util/md5.js';

const START = Date.UTC(2026, 11, 1, 9, 0, 0);
const MAX_SETTLE_ROUNDS = 6;

interface Machine {
  name: string;
  side: LocalSide;
  yaml: string[];
  index: string;
  clock: { t: number };
}

export interface ScenarioOutcome {
  trace: string[];
  /** Expectations that did not hold, with their line numbers. */
  failures: string[];
}

export async function runScenario(world: SimWorld, name: string, text: string): Promise<ScenarioOutcome> {
  const dir = fs.mkdtempSync(path.join(world.tmp, `${name}-`));
  const remoteRoot = `alice/scenarios/${path.basename(dir)}`;
  world.store.mkdirs(remoteRoot);
  world.clock.simulate();
  const remote = new MemorySide(world.store, remoteRoot);
  const machines = new Map<string, Machine>();
  const texts = new Map<string, string>([[md5Hex(''), '']]);
  const trace: string[] = [];
  const failures: string[] = [];

  const sideOf = (who: string, line: number): Side => {
    if (who === 'remote') return remote;
    const m = machines.get(who);
    if (!m) throw new Error(`line ${line}: no machine named ${who}`);
    return m.side;
  };
  const change = async (words: string[], line: number): Promise<void> => {
    const [who, op, a, ...rest] = words;
    const side = sideOf(who!, line);
    if (op === 'write') {
      const content = unquote(rest.join(' '));
      texts.set(md5Hex(content), content);
      await side.writeFile(a!, content);
    } else if (op === 'mkdir') await side.mkdir(a!);
    else if (op === 'rm') await side.remove(a!);
    else if (op === 'mv') await side.move(a!, rest[0]!);
    else throw new Error(`line ${line}: unknown change '${op}'`);
  };
  const cycle = async (m: Machine, fate: Fate): Promise<CycleResult | undefined> => {
    const pair = parseConfigText(
      `pairs:\n  - name: s\n    local: ${m.side.root}\n    remote: vos:${remoteRoot}\n${m.yaml.map((y) => `    ${y}\n`).join('')}`,
      `${m.name}.yaml`,
    ).pairs[0] as PairConfig;
    const index = instrumentIndex(SyncIndex.open(m.index), fate);
    try {
      return await syncPair({
        pair,
        remote: new MemoryRemote(world.store, remoteRoot, { gate: simGate({ fate }) }),
        index,
        now: () => (m.clock.t += 1000),
        host: m.name,
        concurrency: 1,
        caseInsensitiveLocal: false,
        signal: fate.signal,
        onAction: (e) => fate.boundary(e),
      });
    } catch (e) {
      if (!fate.dead) trace.push(`  ${m.name}: cycle failed: ${(e as Error).message}`);
      return undefined;
    } finally {
      index.close();
    }
  };
  const report = (m: Machine, r: CycleResult | undefined, fate: Fate): void => {
    if (fate.crashedAt) trace.push(`  ${m.name}: killed at ${fate.crashedAt.label}`);
    if (!r) return;
    if (r.paused) trace.push(`  ${m.name}: paused: ${r.paused}`);
    if (r.plan) trace.push(`  ${m.name}: plan: ${describePlan(r.plan)}`);
    for (const n of r.plan?.notices ?? []) trace.push(`  ${m.name}: ${n.kind} at ${n.path}: ${n.message}`);
    for (const w of r.waiting) trace.push(`  ${m.name}: waiting for ${w.path}`);
    const x = r.report;
    if (x && (x.skipped.length > 0 || x.failed.length > 0))
      trace.push(
        `  ${m.name}: skipped ${x.skipped.map((s) => s.path).join(' ') || '-'}, failed ${x.failed.map((f) => f.path).join(' ') || '-'}`,
      );
  };
  const show = async (label: string, side: Side): Promise<void> => {
    for (const [p, item] of await side.tree()) trace.push(`= ${label}: ${p} ${describeItem(item, texts)}`);
  };

  try {
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = i + 1;
      const raw = lines[i]!.trim();
      if (raw === '' || raw.startsWith('#')) continue;
      trace.push(`> ${raw}`);
      const words = raw.split(/\s+/);
      const [head] = words;
      if (head === 'machines') {
        for (const name of words.slice(1)) {
          const root = path.join(dir, name);
          fs.mkdirSync(root);
          const clock = { t: START };
          machines.set(name, {
            name,
            side: new LocalSide(root, () => (clock.t += 1000)),
            yaml: [],
            index: path.join(dir, `${name}.sqlite`),
            clock,
          });
        }
      } else if (head === 'config') {
        machines.get(words[1]!)!.yaml.push(raw.split(/\s+/).slice(2).join(' '));
      } else if (head === 'sync') {
        const [target, option] = raw
          .slice('sync'.length)
          .split(',', 2)
          .map((s) => s.trim());
        const m = machines.get(target!);
        if (!m) throw new Error(`line ${line}: no machine named ${target}`);
        let crashAt: string | undefined;
        const interfere = new Map<string, () => Promise<void>>();
        const crash = /^crash at (.+)$/.exec(option ?? '');
        const before = /^before ([^:]+):\s*(.+)$/.exec(option ?? '');
        if (crash) crashAt = crash[1];
        else if (before) interfere.set(before[1]!, () => change(before[2]!.split(/\s+/), line));
        else if (option) throw new Error(`line ${line}: unknown sync option '${option}'`);
        const fate = new Fate(crashAt, interfere);
        report(m, await cycle(m, fate), fate);
      } else if (head === 'settle') {
        let quiet = false;
        for (let round = 1; round <= MAX_SETTLE_ROUNDS && !quiet; round++) {
          quiet = true;
          for (const m of machines.values()) m.clock.t += PLACEHOLDER_GRACE_MS;
          world.clock.advance(PLACEHOLDER_GRACE_MS);
          for (const m of machines.values()) {
            const fate = new Fate(undefined);
            const r = await cycle(m, fate);
            if (!r || r.paused || !r.plan || !isPlanEmpty(r.plan) || r.waiting.length > 0) {
              quiet = false;
              report(m, r, fate);
            }
          }
        }
        if (!quiet) failures.push(`line ${line}: did not settle in ${MAX_SETTLE_ROUNDS} rounds`);
      } else if (head === 'wait') {
        const ms = Number(words[1]) * 1000;
        for (const m of machines.values()) m.clock.t += ms;
        world.clock.advance(ms);
      } else if (head === 'expect') {
        failures.push(...(await expectation(words, raw, line, sideOf, machines, remote, texts)));
      } else {
        await change(words, line);
      }
    }
    await show('remote', remote);
    for (const m of machines.values()) await show(m.name, m.side);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    world.store.delete(remoteRoot, true);
  }
  return { trace, failures };
}

async function expectation(
  words: string[],
  raw: string,
  line: number,
  sideOf: (who: string, line: number) => Side,
  machines: Map<string, Machine>,
  remote: Side,
  texts: Map<string, string>,
): Promise<string[]> {
  if (words[1] === 'same') {
    const want = await remote.tree();
    const out: string[] = [];
    for (const m of machines.values()) {
      const got = await m.side.tree();
      if (render(got, texts) !== render(want, texts))
        out.push(
          `line ${line}: ${m.name} holds\n${render(got, texts)}\nbut the remote holds\n${render(want, texts)}`,
        );
    }
    return out;
  }
  const tree = await sideOf(words[1]!, line).tree();
  if (words[2] === 'copies') {
    const n = [...tree].filter(([p, i]) => isConflictCopyName(p, i.kind === 'dir')).length;
    return n === Number(words[3])
      ? []
      : [`line ${line}: ${words[1]} has ${n} conflict copies, not ${words[3]}`];
  }
  const p = words[2]!;
  const want = unquote(raw.split(/\s+/).slice(3).join(' '));
  const item = tree.get(p);
  const got = item ? describeItem(item, texts) : 'absent';
  const expected = want === 'folder' || want === 'absent' ? want : JSON.stringify(want);
  return got === expected ? [] : [`line ${line}: ${words[1]} ${p} is ${got}, not ${expected}`];
}

function describeItem(item: { kind: string; md5?: string }, texts: Map<string, string>): string {
  if (item.kind === 'dir') return 'folder';
  const text = texts.get(item.md5!);
  return text === undefined ? `md5 ${item.md5!.slice(0, 8)}` : JSON.stringify(text);
}

function render(tree: Tree, texts: Map<string, string>): string {
  return [...tree].map(([p, i]) => `  ${p} ${describeItem(i, texts)}`).join('\n');
}

function unquote(s: string): string {
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s;
}
