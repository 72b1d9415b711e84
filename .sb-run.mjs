import { runnerImport } from 'vite';
const { module } = await runnerImport('/work/main/.sb-seg.ts', { root: '/work/main', configFile: false });
await module.run();
