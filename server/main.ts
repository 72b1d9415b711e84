import { parseArgs } from 'node:util';
import { startAppServer } from './app-server.ts';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: process.env.FORKLINE_HOST ?? '127.0.0.1' },
    port: { type: 'string', default: process.env.FORKLINE_PORT ?? '4173' },
    data: { type: 'string', default: process.env.FORKLINE_DATA ?? 'data' },
    root: { type: 'string', default: 'dist' },
  },
});

const app = await startAppServer({
  root: values.root!,
  dataDir: values.data!,
  host: values.host!,
  port: Number(values.port),
});
console.log(
  `forkline is running at ${app.url}/ (relay at ${app.url.replace(/^http/, 'ws')}/sync, data in ${values.data})`,
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => void app.close().then(() => process.exit(0)));
}
