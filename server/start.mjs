// `npm start` runs this after `vite build`: the server is TypeScript sharing the
// engine's sources, loaded through Vite's module runner (Node 20 cannot strip types).
import { runnerImport } from 'vite';

await runnerImport(new URL('./main.ts', import.meta.url).pathname);
