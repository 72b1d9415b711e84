// A document open in the editor takes a catch-up: the events another writer stored
// while this tab did not hear of them (a device back online, another tab's import),
// delivered as the log's subscription delivers them: a page at a time.
import { EditorView } from '@codemirror/view';
import { h, render } from 'preact';
import * as Y from 'yjs';
import { openLog, TEXT_EDITED, type LogEvent } from '../../src/index.ts';
import { STREAM_PAGE } from '../../src/log/subscriptions.ts';
import { LiveDocument } from '../../src/ui/live-document.ts';
import { TextEditor } from '../../src/ui/text-editor.tsx';
import type { CatchUpRun, CatchUpTimes } from './protocol.ts';

const STREAM = 'doc/catch-up';
/** Events the other writer's log appends at a time (MAX_BATCH, as sync would bring them). */
const APPEND = 500;

/** The text both sides start from: paragraphs, as the editor lays them out. */
const start = (length: number) =>
  'A paragraph of ordinary prose, typed by someone. '
    .repeat(6)
    .concat('\n')
    .repeat(Math.ceil(length / 295))
    .slice(0, length);

/**
 * The other writer's `events` keystrokes (one character each, anywhere in the text,
 * as one event each) over a text of `length`; then, per run, the same events taken
 * by a LiveDocument bound to the editor, and by a bare Y.Doc applying each update
 * as it comes (what a Yjs provider does with its messages), each timed until the
 * browser has laid out the result.
 */
export async function timeCatchUp({
  events: count,
  length,
  runs,
}: CatchUpRun): Promise<CatchUpTimes> {
  const writer = new Y.Doc();
  const text = writer.getText('body');
  text.insert(0, start(length));
  const state = Y.encodeStateAsUpdate(writer);
  const log = await openLog({ actor: 'other-device' });
  await log.append(STREAM, { type: TEXT_EDITED, data: state });
  const heads = await log.heads(STREAM);
  const updates: Uint8Array[] = [];
  writer.on('update', (update: Uint8Array) => updates.push(update));
  for (let i = 0; i < count; i++)
    text.insert((i * 7919) % (text.length + 1), 'abcdefghij'[i % 10]!);
  const events: LogEvent[] = [];
  for (let i = 0; i < updates.length; i += APPEND) {
    const appended = await log.append(
      STREAM,
      updates.slice(i, i + APPEND).map((data) => ({ type: TEXT_EDITED, data })),
    );
    events.push(...appended.map((r) => r.event));
  }
  await log.close();
  const expected = text.toString();

  const times: CatchUpTimes = { forkline: [], longest: [], yjs: [] };
  for (let run = 0; run < runs; run++) {
    // forkline: the editor as the app binds it.
    const live = new LiveDocument({
      state,
      heads,
      included: [],
      send: () => new Promise(() => undefined),
    });
    const host = document.body.appendChild(document.createElement('div'));
    render(h(TextEditor, { live, text: live.text.toString() }), host);
    const view = EditorView.findFromDOM(host);
    if (!view) throw new Error('no editor was drawn');
    // As the subscription delivers them: STREAM_PAGE events a message, each a task
    // of its own, laid out before the next.
    let at = performance.now();
    let longest = 0;
    for (let i = 0; i < events.length; i += STREAM_PAGE) {
      const page = performance.now();
      live.receive(events.slice(i, i + STREAM_PAGE));
      void view.contentDOM.offsetHeight;
      longest = Math.max(longest, performance.now() - page);
    }
    times.forkline.push(performance.now() - at);
    times.longest.push(longest);
    if (view.state.doc.toString() !== expected)
      throw new Error('the editor does not show the caught-up text');
    render(null, host);
    host.remove();
    live.close();

    // Yjs alone: each update applied as it arrives, no view.
    const doc = new Y.Doc();
    Y.applyUpdate(doc, state);
    at = performance.now();
    for (const update of updates) Y.applyUpdate(doc, update);
    times.yjs.push(performance.now() - at);
    if (doc.getText('body').toString() !== expected)
      throw new Error('Yjs does not hold the caught-up text');
    doc.destroy();
  }
  return times;
}
