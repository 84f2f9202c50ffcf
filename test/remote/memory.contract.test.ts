/** The Remote contract held by the simulation's in-memory remote. */
import { VosError } from '../../src/util/errors.js';
import { MemoryRemote, MemoryStore, type RequestGate } from '../support/memory-remote.js';
import { remoteContract } from './contract.js';

remoteContract('in-memory remote', () => {
  const store = new MemoryStore();
  let cut = false;
  const gate: RequestGate = (request, _rel, effect) =>
    Promise.resolve().then(() => {
      if (cut && request === 'put') throw new VosError('transient', 'connection reset while sending');
      return effect();
    });
  let n = 0;
  return Promise.resolve({
    folder() {
      const root = `alice/contract/f${n++}`;
      store.mkdirs(root);
      return Promise.resolve({
        remote: new MemoryRemote(store, root, { gate }),
        peer: new MemoryRemote(store, root, { gate }),
      });
    },
    cutUploads() {
      cut = true;
      return () => (cut = false);
    },
    close: () => Promise.resolve(),
  });
});
