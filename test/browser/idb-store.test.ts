import { deleteDB } from 'idb';
import { openIdbStore } from '../../worker/idb-store.ts';
import { snapshotContract } from '../contract/snapshot-contract.ts';
import { storeContract } from '../contract/store-contract.ts';

let n = 0;
let current = '';
storeContract(
  'IndexedDB',
  async () => openIdbStore((current = `contract-${Date.now()}-${n++}`)),
  () => deleteDB(current),
);

snapshotContract('IndexedDB', async () =>
  openIdbStore(`snapshots-${Date.now()}-${n++}`),
);
