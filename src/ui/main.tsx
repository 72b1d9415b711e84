import { render } from 'preact';
import { App } from './app.tsx';
import { notice, start } from './app-state.ts';
import { registerAppShell } from './app-update.ts';
import './app.css';

render(<App />, document.getElementById('app')!);
start().catch(
  (error: Error) =>
    (notice.value = `forkline could not start: ${error.message}`),
);
registerAppShell();
