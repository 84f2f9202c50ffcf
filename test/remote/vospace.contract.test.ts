/** The Remote contract held by the VOSpace adapter over real HTTP to the embedded server. */
import { vospaceRemote } from '../../src/agent/remote/vospace/connect.js';
import { parseFaultSpec } from '../../src/server/faults.js';
import { startAliceServer } from '../support/alice-server.js';
import { remoteContract } from './contract.js';

remoteContract('VOSpace adapter on the embedded server', async () => {
  const s = await startAliceServer('contract');
  const fast = { retry: { retries: 1, baseDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 0 }, timeoutMs: 5000 };
  const a = s.client(fast);
  const b = s.client(fast);
  let n = 0;
  return {
    async folder() {
      const remote = `vos:alice/contract/f${n++}`;
      await a.mkdir(remote, { parents: true });
      return {
        remote: vospaceRemote(a, { remote, nameEncoding: true }),
        peer: vospaceRemote(b, { remote, nameEncoding: true }),
      };
    },
    cutUploads() {
      s.srv.faults.configure(parseFaultSpec('rate=1,kinds=reset,endpoints=data,methods=PUT'));
      return () => s.srv.faults.disable();
    },
    close: () => s.close(),
  };
});
