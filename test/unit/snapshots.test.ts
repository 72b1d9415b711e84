import { memoryStore } from '../../src/log/memory-store.ts';
import { snapshotContract } from '../contract/snapshot-contract.ts';

snapshotContract('memory', async () => memoryStore());
