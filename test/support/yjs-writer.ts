import * as Y from 'yjs';
import { TEXT_EDITED, type EventId, type Log } from '../../src/index.ts';

/**
 * A writer as a tab is one: its own Y.Doc (a fresh client id) whose updates it
 * appends itself, so a test can make an event carry another writer's text.
 */
export function yjsWriter(name: string) {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => updates.push(u));
  return {
    name,
    doc,
    text: doc.getText('body'),
    /** Everything it did since the last take, as one update. */
    take: (): Uint8Array => Y.mergeUpdates(updates.splice(0)),
  };
}

export type YjsWriter = ReturnType<typeof yjsWriter>;

/** Appends `update` to `stream` as a text edit by `writer`, made at `expected`: its id. */
export async function appendTextEdit(
  log: Log,
  stream: string,
  writer: YjsWriter,
  update: Uint8Array,
  expected: EventId[],
): Promise<EventId> {
  const [result] = await log.append(
    stream,
    { type: TEXT_EDITED, data: update, author: writer.name },
    { expected },
  );
  return result!.event.id;
}
