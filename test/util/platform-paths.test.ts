import { describe, expect, it } from 'vitest';
import { cacheDir, xdgConfigHome } from '../../src/util/platform-paths.js';
import { defaultCacheDir } from '../../src/vospace/registry.js';

const HOME = '/home/alice';

describe('the XDG folders shared by the CLI, the registry cache and the service unit', () => {
  it('use an absolute $XDG_CONFIG_HOME / $XDG_CACHE_HOME, else the home folder', () => {
    expect(xdgConfigHome({ XDG_CONFIG_HOME: '/x/cfg' }, HOME)).toBe('/x/cfg');
    expect(xdgConfigHome({}, HOME)).toBe('/home/alice/.config');
    expect(cacheDir({ XDG_CACHE_HOME: '/x/cache' }, HOME)).toBe('/x/cache/vosync');
    expect(cacheDir({}, HOME)).toBe('/home/alice/.cache/vosync');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache' }, HOME)).toBe('/x/cache/vosync/registry');
  });

  it('ignore a relative value, as the XDG spec says', () => {
    expect(xdgConfigHome({ XDG_CONFIG_HOME: 'rel/cfg' }, HOME)).toBe('/home/alice/.config');
    expect(cacheDir({ XDG_CACHE_HOME: 'rel/cache' }, HOME)).toBe('/home/alice/.cache/vosync');
  });
});
