// The entry of a relay in its own process (test/support/child-relay.ts bundles and
// starts it): its memory can be measured alone, and it can run under a file-size
// limit. Options come in RELAY_OPTIONS (JSON); requests come over the IPC channel.
import { createServer } from 'node:http';
import { createRelay, type RelayOptions } from '../../server/relay.ts';

export interface ChildMemory {
  rss: number;
  /** Highest RSS the process ever had, in bytes. */
  maxRss: number;
  /** After a full collection: what is really held. */
  heapUsed: number;
  external: number;
}

type Request =
  | { id: number; type: 'createLog' }
  | { id: number; type: 'stats' }
  | { id: number; type: 'memory' }
  | { id: number; type: 'close' };

const send = (message: object) => process.send!(message);
const options = JSON.parse(process.env.RELAY_OPTIONS ?? '{}') as RelayOptions;
const server = createServer();
const relay = await createRelay({
  ...options,
  // RELAY_PEER: other relays of the test reach this one at its loopback address.
  ...(process.env.RELAY_PEER
    ? {
        peerUrl: () => {
          const address = server.address();
          return address && typeof address === 'object'
            ? `ws://127.0.0.1:${address.port}`
            : undefined;
        },
      }
    : {}),
  say: (message) => send({ type: 'said', message }),
});
relay.attach(server);
await new Promise<void>((resolve) =>
  server.listen(Number(process.env.RELAY_PORT ?? 0), '127.0.0.1', resolve),
);

function memory(): ChildMemory {
  (globalThis as { gc?: () => void }).gc?.();
  const usage = process.memoryUsage();
  return {
    rss: usage.rss,
    maxRss: process.resourceUsage().maxRSS * 1024,
    heapUsed: usage.heapUsed,
    external: usage.external,
  };
}

process.on('message', (request: Request) => {
  const reply = (value: unknown) => send({ id: request.id, value });
  const failed = (error: Error) =>
    send({ id: request.id, error: error.message });
  switch (request.type) {
    case 'createLog':
      relay.createLog().then(reply, failed);
      break;
    case 'stats':
      reply(relay.stats());
      break;
    case 'memory':
      reply(memory());
      break;
    case 'close':
      relay
        .close()
        .then(() => {
          server.closeAllConnections();
          server.close();
          reply(null);
          process.disconnect();
        })
        .catch(failed);
      break;
  }
});
send({
  type: 'listening',
  port: (server.address() as { port: number }).port,
  memory: memory(),
});
