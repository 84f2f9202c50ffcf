/**
 * The status page in headless Chromium (Debian's `chromium`, driven by playwright-core) against a running
 * daemon: opened through the one-time link of `vosync status --open`, it shows what a person needs —
 * state, folders, a live transfer with progress, errors — and its buttons pause and resume. A screenshot
 * is saved to test-artifacts/status-page.png.
 *
 * The browser is the one shipped inside the devDependency @sparticuz/chromium (unpacked on first use), so
 * `npm install && npm test` needs nothing from the system; without the packages this test fails with a
 * message saying so, it is never skipped. VOSYNC_CHROMIUM names another browser, and
 * VOSYNC_PLAYWRIGHT_CORE another copy of playwright-core.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_FAULTS } from '../../src/server/faults.js';
import type { CliIo } from '../../src/cli/common.js';
import { runCli } from '../../src/cli/program.js';
import {
  pairOf,
  startDaemon,
  startEnv,
  waitFor,
  waitUpToDate,
  writeConfig,
  type Env,
  type RunningDaemon,
} from './helpers.js';

/** The part of playwright-core's API this test uses. */
interface Locator {
  waitFor(o?: { state?: 'visible' | 'hidden' | 'attached'; timeout?: number }): Promise<void>;
  textContent(): Promise<string | null>;
  click(): Promise<void>;
  count(): Promise<number>;
  first(): Locator;
  locator(selector: string): Locator;
  getByText(text: string | RegExp, o?: { exact?: boolean }): Locator;
  getByRole(role: string, o?: { name?: string | RegExp; exact?: boolean }): Locator;
  isVisible(): Promise<boolean>;
}
interface Page extends Pick<Locator, 'locator' | 'getByText' | 'getByRole'> {
  goto(url: string): Promise<unknown>;
  url(): string;
  title(): Promise<string>;
  evaluate<T>(fn: () => T): Promise<T>;
  screenshot(o: { path: string; fullPage?: boolean }): Promise<Buffer>;
  close(): Promise<void>;
}
interface Browser {
  newContext(o?: Record<string, unknown>): Promise<{ newPage(): Promise<Page>; close(): Promise<void> }>;
  close(): Promise<void>;
}
interface Playwright {
  chromium: { launch(o: { executablePath: string; headless: boolean; args?: string[] }): Promise<Browser> };
}

const MODULE = process.env['VOSYNC_PLAYWRIGHT_CORE'] ?? 'playwright-core';
// Without the sandbox (tests may run as root) and the GPU, and without the package's own serverless flags
// (--single-process crashes under playwright here).
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--no-zygote', '--disable-dev-shm-usage'];
const ARTIFACTS = path.join(__dirname, '../../test-artifacts');

function loadPlaywright(): Playwright {
  try {
    return createRequire(import.meta.url)(MODULE) as Playwright;
  } catch {
    throw new Error(
      `The status page test needs the npm package ${MODULE} (the devDependency playwright-core).`,
    );
  }
}

async function chromiumPath(): Promise<string> {
  const chosen = process.env['VOSYNC_CHROMIUM'];
  if (chosen) return chosen;
  try {
    const packaged = (await import('@sparticuz/chromium')).default;
    return await packaged.executablePath();
  } catch (e) {
    throw new Error(
      `The status page test needs a headless Chromium: the devDependency @sparticuz/chromium (${(e as Error).message}).`,
    );
  }
}

let env: Env;
let d: RunningDaemon;
let dir: string;
let browser: Browser | undefined;

async function openLink(): Promise<string> {
  const out: Buffer[] = [];
  const io: CliIo = {
    stdout: new Writable({ write: (c, _e, cb) => (out.push(Buffer.from(c)), cb()) }),
    stderr: new Writable({ write: (_c, _e, cb) => cb() }),
    stdin: Readable.from([]) as CliIo['stdin'],
    env: { HOME: path.join(env.tmp, 'home') },
    cwd: env.tmp,
    now: Date.now,
    setExitCode: () => undefined,
  };
  expect(await runCli(['status', '--open', '--config', d.config.source], io)).toBe(0);
  const link = /http:\/\/\S+#code=\S+/.exec(Buffer.concat(out).toString())?.[0];
  if (!link) throw new Error('no link printed');
  return link;
}

beforeAll(async () => {
  env = await startEnv('page');
  dir = path.join(env.tmp, 'agent');
  const config = writeConfig(env, dir, [{ name: 'thesis' }, { name: 'photos' }], { remotePoll: '0 0 * * *' });
  fs.writeFileSync(path.join(dir, 'thesis', 'chapter1.tex'), '\\chapter{Introduction}\n');
  d = await startDaemon(env, config);
  await waitUpToDate(d, 'thesis');
  await waitUpToDate(d, 'photos');
});

afterAll(async () => {
  await browser?.close();
  env.srv.faults.disable();
  await d.stop();
  await env.close();
});

describe('status page in headless Chromium', () => {
  it('shows the state, folders, a live transfer and errors, and its buttons work', async () => {
    const pw = loadPlaywright();
    browser = await pw.chromium.launch({
      executablePath: await chromiumPath(),
      headless: true,
      args: CHROMIUM_ARGS,
    });
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();

    const link = await openLink();
    await page.goto(link);
    const overall = page.locator('#overall');
    await page.getByText('Up to date', { exact: true }).first().waitFor();
    // The one-time code is gone from the address bar at once.
    expect(page.url()).toBe(`${d.api.url}/`);
    expect(await overall.textContent()).toBe('Up to date');
    expect(await page.title()).toBe('vosync: Up to date');
    for (const name of ['thesis', 'photos']) {
      const card = page.locator(`article[data-pair="${name}"]`);
      await card.waitFor();
      expect(await card.locator('h3').textContent()).toBe(name);
      expect(await card.locator('.badge').textContent()).toBe('Up to date');
    }
    expect(await page.locator(`article[data-pair="thesis"] .paths`).textContent()).toContain(
      path.join(dir, 'thesis'),
    );
    expect(await page.getByText('No conflicts.').isVisible()).toBe(true);
    expect(await page.getByText('No errors.').isVisible()).toBe(true);
    await page.getByRole('cell', { name: 'chapter1.tex', exact: true }).first().waitFor();

    // A download slowed down by the server shows in the live list, with a progress bar.
    const photosRemote = d.config.pairs.find((p) => p.name === 'photos')!.remote;
    const big = path.join(env.tmp, 'big.fits');
    fs.writeFileSync(big, Buffer.alloc(3_000_000, 7));
    await env.client.upload(big, `${photosRemote}/m31.fits`);
    env.srv.faults.configure({ ...NO_FAULTS, endpoints: ['data'], latencyMs: 2500 });
    await d.call('POST', '/rescan?pair=photos');
    const row = page.locator('li.transfer[data-path="m31.fits"]');
    await row.waitFor({ timeout: 10_000 });
    expect(await row.locator('.dir').textContent()).toBe('↓ download');
    expect(await row.locator('.path').textContent()).toBe('photos: m31.fits');
    expect(await row.locator('progress').count()).toBe(1);
    expect(await row.locator('.amount').textContent()).toMatch(/3\.0 MB/);
    // The folder's card says what is left of its plan.
    const left = page.locator('article[data-pair="photos"] dd.progress');
    await left.waitFor();
    expect(await left.textContent()).toMatch(/^↓ 1 file, [\d.]+ MB left/);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'status-page-transfer.png'), fullPage: true });
    await row.waitFor({ state: 'hidden', timeout: 20_000 });
    env.srv.faults.disable();
    await waitUpToDate(d, 'photos');
    expect(fs.statSync(path.join(dir, 'photos', 'm31.fits')).size).toBe(3_000_000);

    // An upload shows its bytes as they go (the server answers slowly), with a progress bar.
    env.srv.faults.configure({ ...NO_FAULTS, endpoints: ['data'], latencyMs: 2500 });
    fs.writeFileSync(path.join(dir, 'photos', 'up.fits'), Buffer.alloc(3_000_000, 9));
    const up = page.locator('li.transfer[data-path="up.fits"]');
    await up.waitFor({ timeout: 10_000 });
    expect(await up.locator('.dir').textContent()).toBe('↑ upload');
    expect(await up.locator('progress').count()).toBe(1);
    // Bytes known while it is on its way: "x of 3.0 MB", not just the size.
    await waitFor('the upload progress', async () =>
      /of 3\.0 MB$/.test((await up.locator('.amount').textContent()) ?? ''),
    );
    await up.waitFor({ state: 'hidden', timeout: 20_000 });
    env.srv.faults.disable();
    await waitUpToDate(d, 'photos');

    // A conflict copy (here one arriving as if from another machine) and a file that cannot be synced are
    // listed by name, and the folder needs a look.
    fs.writeFileSync(path.join(dir, 'photos', 'm31.conflict-20261201-221815-desk.fits'), 'the other version');
    const longName = `${'a b'.repeat(70)}.fits`;
    fs.writeFileSync(path.join(dir, 'photos', longName), 'x');
    await page
      .locator('#conflicts')
      .getByRole('cell', { name: 'm31.fits', exact: true })
      .waitFor({ timeout: 10_000 });
    await page
      .locator('#not-synced')
      .getByRole('cell', { name: longName, exact: true })
      .waitFor({ timeout: 10_000 });
    const photosCard = page.locator('article[data-pair="photos"]');
    expect(await photosCard.locator('.badge').textContent()).toBe('Needs a look');
    expect(await photosCard.getByText(/1 conflict · 1 not synced/).count()).toBe(1);
    await page.screenshot({ path: path.join(ARTIFACTS, 'status-page-attention.png'), fullPage: true });
    fs.rmSync(path.join(dir, 'photos', 'm31.conflict-20261201-221815-desk.fits'));
    fs.rmSync(path.join(dir, 'photos', longName));
    await waitUpToDate(d, 'photos');

    // A file the server refuses for good: the page says Error and names the file.
    const thesisRemote = d.config.pairs.find((p) => p.name === 'thesis')!.remote;
    await env.client.lock(thesisRemote, true);
    fs.writeFileSync(path.join(dir, 'thesis', 'draft.pdf'), 'pdf');
    await page
      .locator('#errors')
      .getByRole('cell', { name: 'draft.pdf', exact: true })
      .waitFor({ timeout: 10_000 });
    expect(await overall.textContent()).toBe('Error');
    const thesisCard = page.locator('article[data-pair="thesis"]');
    expect(await thesisCard.locator('.badge').textContent()).toBe('Error');
    expect(await thesisCard.getByText(/^draft\.pdf: /).textContent()).toContain('draft.pdf');
    expect(await page.getByText('no, needs you').first().isVisible()).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'status-page.png'), fullPage: true });

    // The buttons: pause photos from the page; the daemon is paused; resume it again.
    await page.locator('article[data-pair="photos"]').getByRole('button', { name: 'Pause' }).click();
    await waitFor(
      'photos paused',
      async () => pairOf((await d.call('GET', '/status')).body, 'photos').state === 'paused',
    );
    await page.locator('article[data-pair="photos"] .badge').getByText('Paused').waitFor();
    await page.locator('article[data-pair="photos"]').getByRole('button', { name: 'Resume' }).click();
    await waitUpToDate(d, 'photos');

    await env.client.lock(thesisRemote, false);
    await page.getByRole('button', { name: 'Rescan all' }).click();
    await waitUpToDate(d, 'thesis');
    await page.getByText('No errors.').waitFor();

    // The used link does not work twice, and the page says what to do.
    const second = await (await browser.newContext()).newPage();
    await second.goto(link);
    await second.getByText('This page needs a fresh link').waitFor();
    expect(second.url()).toBe(`${d.api.url}/`);
    expect(await second.locator('#content').isVisible()).toBe(false);
    await context.close();
  });
});
