import { memoryStore } from '../../src/log/memory-store.ts';
import { storeContract } from '../contract/store-contract.ts';

storeContract('memory', async () => memoryStore());
