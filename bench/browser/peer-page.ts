// The peers' page, built for production with the app: Yjs, y-indexeddb and
// automerge-repo used as their docs recommend, and forkline's worker, driven by the
// harness through the `peers` global (PeerPage in peer-protocol.ts).
import { initializeWasm } from '@automerge/automerge/slim';
import automergeWasmUrl from '@automerge/automerge/automerge.wasm?url';
import { compactDatabase, insightsRuns } from './insights-runs.ts';
import { bindTextarea, unbindTextarea } from './keystroke-peers.ts';
import {
  deleteDatabases,
  openAutomergeRepo,
  openForkline,
  openYIndexeddb,
  storeHistory,
} from './open-runs.ts';
import type { PeerPage } from './peer-protocol.ts';

// Automerge's documented bundler-independent start: the /slim entry, initialised
// before any other call with its wasm, which Vite emits as an asset (no Vite plugin,
// no install script; the base64 build would be a 5 MB script).
await initializeWasm(automergeWasmUrl);

const peers: PeerPage = {
  storeHistory,
  openForkline,
  openYIndexeddb,
  openAutomergeRepo,
  deleteDatabases,
  bindTextarea,
  unbindTextarea,
  insightsRuns,
  compactDatabase,
};
Object.assign(globalThis, { peers });
