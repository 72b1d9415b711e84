import { memoryStore } from '../../src/log/memory-store.ts';
import { storeContract } from '../contract/store-contract.ts';

// The engine must run unchanged in the browser: same suite, real Chromium.
storeContract('memory (in Chromium)', async () => memoryStore());
