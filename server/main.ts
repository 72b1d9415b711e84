import { parseArgs } from 'node:util';
import { startAppServer } from './app-server.ts';
import { parseRelayLimits } from './relay-limits.ts';
import { listOption } from './request-policy.ts';

const env = process.env;
const { values } = parseArgs({
  options: {
    host: { type: 'string', default: env.FORKLINE_HOST ?? '127.0.0.1' },
    port: { type: 'string', default: env.FORKLINE_PORT ?? '4173' },
    data: { type: 'string', default: env.FORKLINE_DATA ?? 'data' },
    // PostgreSQL for the relay's logs (else files in --data). Prefer the environment
    // variable when the URL holds a password: a flag shows in the process list.
    database: { type: 'string', default: env.FORKLINE_DATABASE },
    // With --database: where other relays reach this one, ws://host:port (README,
    // "forkline-relay"), so that it may write a log that several relays serve.
    'peer-url': { type: 'string', default: env.FORKLINE_PEER_URL },
    root: { type: 'string', default: 'dist' },
    // Relays on other servers the page may connect to: ws(s)://host[:port], comma-separated or repeated.
    'relay-origin': { type: 'string', multiple: true },
    // Names this server is reached by behind a proxy or DNS: host or host:port.
    'public-host': { type: 'string', multiple: true },
    // Prefer the environment variable: a flag shows in the process list.
    'admin-secret': { type: 'string' },
    // A relay limit other than its default (server/relay.ts): name=value, repeated.
    'relay-limit': { type: 'string', multiple: true },
    // A load balancer's IP address, whose X-Forwarded-For names the client: repeated.
    'trusted-proxy': { type: 'string', multiple: true },
  },
});

const app = await (async () => {
  const limits = parseRelayLimits(
    listOption(values['relay-limit'] ?? [env.FORKLINE_RELAY_LIMITS]),
  );
  return startAppServer({
    root: values.root!,
    dataDir: values.data!,
    ...(values.database ? { database: values.database } : {}),
    ...(values['peer-url'] ? { peerUrl: values['peer-url'] } : {}),
    host: values.host!,
    port: Number(values.port),
    relayOrigins: listOption(
      values['relay-origin'] ?? [env.FORKLINE_RELAY_ORIGINS],
    ),
    publicHosts: listOption(
      values['public-host'] ?? [env.FORKLINE_PUBLIC_HOSTS],
    ),
    adminSecret: values['admin-secret'] ?? env.FORKLINE_ADMIN_SECRET,
    relayLimits: limits.relay,
    creationLimits: limits.creation,
    trustedProxies: listOption(
      values['trusted-proxy'] ?? [env.FORKLINE_TRUSTED_PROXIES],
    ),
  });
})().catch((error: Error) => {
  console.error(`forkline cannot start: ${error.message}`);
  process.exit(1);
});
console.log(
  `forkline is running at ${app.url}/ (relay at ${app.url.replace(/^http/, 'ws')}/sync, ${values.database ? `logs in PostgreSQL at ${new URL(values.database).host || 'its socket'}` : `data in ${values.data}`})`,
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => void app.close().then(() => process.exit(0)));
}
