/** The status page's files: valid script, every element the script uses exists, nothing written as HTML. */
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { PAGE_ASSETS } from '../../src/agent/status/page/assets.js';
import { PAGE_HTML } from '../../src/agent/status/page/html.js';
import { PAGE_SCRIPT } from '../../src/agent/status/page/script.js';

describe('status page assets', () => {
  it('parse as a script and reference only elements the page has', () => {
    expect(() => new vm.Script(PAGE_SCRIPT, { filename: 'app.js' })).not.toThrow();
    const used = [...PAGE_SCRIPT.matchAll(/\$\('([\w-]+)'\)/g)].map((m) => m[1]!);
    const shown = [...PAGE_SCRIPT.matchAll(/show\('([\w-]+)'/g)].map((m) => m[1]!);
    const rows = [...PAGE_SCRIPT.matchAll(/renderRows\('([\w-]+)', '([\w-]+)'/g)].flatMap((m) => [
      m[1]!,
      m[2]!,
    ]);
    const ids = new Set([...PAGE_HTML.matchAll(/ id="([\w-]+)"/g)].map((m) => m[1]!));
    const needed = new Set([...used, ...shown, ...rows]);
    expect(needed.size).toBeGreaterThan(10);
    for (const id of needed) expect(ids, `#${id}`).toContain(id);
  });

  it('write API values only as text, and keep the code out of the address bar and the API token out of the page', () => {
    expect(PAGE_SCRIPT).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    expect(PAGE_SCRIPT).toContain("history.replaceState(null, '', location.pathname)");
    expect(PAGE_SCRIPT).toContain('sessionStorage');
    // The session goes in a header, never in a URL.
    expect(PAGE_SCRIPT).not.toMatch(/[?&]token=/);
  });

  it('are served by path, the page with its own script and style only', () => {
    expect(Object.keys(PAGE_ASSETS).sort()).toEqual(['/', '/app.css', '/app.js', '/index.html']);
    expect(PAGE_ASSETS['/']!.page).toBe(true);
    expect(PAGE_HTML).toContain('<script src="/app.js" defer></script>');
    expect(PAGE_HTML).not.toMatch(/<script>|<style>|\son\w+=/);
  });
});
