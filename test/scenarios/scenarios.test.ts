/**
 * Runs every golden scenario (test/scenarios/*.txt, language in run.ts): its expectations must hold, and its
 * trace must equal its .golden file. After a deliberate change of behaviour, `UPDATE_GOLDEN=1 npx vitest run
 * test/scenarios` rewrites the golden files; the diff then shows, plan by plan, what the change did.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimWorld } from '../sim/world.js';
import { runScenario } from './run.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const scenarios = fs
  .readdirSync(here)
  .filter((f) => f.endsWith('.txt'))
  .sort();

let world: SimWorld;
beforeAll(() => {
  world = SimWorld.start();
});
afterAll(() => {
  world.close();
});

describe('golden scenarios', () => {
  it('exist', () => {
    expect(scenarios.length).toBeGreaterThan(5);
  });

  for (const file of scenarios) {
    it(file.replace(/\.txt$/, ''), async () => {
      const name = file.replace(/\.txt$/, '');
      const o = await runScenario(world, name, fs.readFileSync(path.join(here, file), 'utf8'));
      const golden = path.join(here, `${name}.golden`);
      const trace = o.trace.join('\n') + '\n';
      if (process.env['UPDATE_GOLDEN']) fs.writeFileSync(golden, trace);
      expect(o.failures).toEqual([]);
      expect(trace).toEqual(fs.readFileSync(golden, 'utf8'));
    });
  }
});
