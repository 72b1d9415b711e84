import {
  Repo,
  type AutomergeUrl,
  type DocHandle,
} from '@automerge/automerge-repo/slim';
import { BroadcastChannelNetworkAdapter } from '@automerge/automerge-repo-network-broadcastchannel';
import { IndexedDBStorageAdapter } from '@automerge/automerge-repo-storage-indexeddb';
import * as A from '@automerge/automerge/slim';
import { EditorState } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { yCollab } from 'y-codemirror.next';
import * as Y from 'yjs';
import { spliceBetween } from '../../src/doc/text-splice.ts';
import type { KeystrokePeer } from './peer-protocol.ts';

const LABEL = 'Document text';
const LOCAL = 'local';

type AutomergeText = {
  text: string;
};

let unbind: (() => Promise<void>) | undefined;

function textarea(): HTMLTextAreaElement {
  const el = document.createElement('textarea');
  el.setAttribute('aria-label', LABEL);
  el.rows = 10;
  el.cols = 80;
  document.body.append(el);
  return el;
}

/**
 * Yjs between tabs as its docs describe for one origin: each tab's Y.Doc posts its
 * own updates on a BroadcastChannel and applies the others' (what y-webrtc and
 * y-websocket do between tabs of one browser); the textarea shows the Y.Text.
 */
function bindYjs(channelName: string, initial = ''): void {
  const { doc, text } = yjsDoc(initial);
  const channel = new BroadcastChannel(channelName);
  const el = textarea();
  el.value = text.toString();
  doc.on('update', (update: Uint8Array, origin: unknown) => {
    if (origin === LOCAL) channel.postMessage(update);
  });
  channel.onmessage = ({ data }: MessageEvent<Uint8Array>) =>
    Y.applyUpdate(doc, data, channel);
  text.observe((event) => {
    if (event.transaction.origin !== LOCAL) el.value = text.toString();
  });
  el.addEventListener('input', () => {
    const edit = spliceBetween(text.toString(), el.value, {
      caret: el.selectionEnd,
    });
    doc.transact(() => {
      if (edit.deleteCount > 0) text.delete(edit.index, edit.deleteCount);
      if (edit.insert) text.insert(edit.index, edit.insert);
    }, LOCAL);
  });
  unbind = async () => {
    channel.close();
    doc.destroy();
    el.remove();
  };
}

/** A Y.Doc holding `initial`, the same items in every tab. */
function yjsDoc(initial: string): { doc: Y.Doc; text: Y.Text } {
  const doc = new Y.Doc();
  const text = doc.getText('body');
  if (initial) {
    // The same starting text in every tab: one writer's insert (a fixed client id),
    // made and applied in each, so both hold the same items without a sync.
    const writer = new Y.Doc();
    writer.clientID = 1;
    writer.getText('body').insert(0, initial);
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(writer));
    writer.destroy();
  }
  return { doc, text };
}

/**
 * Yjs between tabs as for `bindYjs`, the text shown in CodeMirror through Yjs's own
 * binding (y-codemirror.next's `yCollab`, no awareness), laid out as the app lays
 * its editor out: wrapped lines in a box 40% of the window high.
 */
function bindYjsCodeMirror(channelName: string, initial = ''): void {
  const { doc, text } = yjsDoc(initial);
  const channel = new BroadcastChannel(channelName);
  doc.on('update', (update: Uint8Array, origin: unknown) => {
    if (origin !== channel) channel.postMessage(update);
  });
  channel.onmessage = ({ data }: MessageEvent<Uint8Array>) =>
    Y.applyUpdate(doc, data, channel);
  const host = document.createElement('div');
  document.body.append(host);
  const view = new EditorView({
    parent: host,
    state: EditorState.create({
      doc: text.toString(),
      extensions: [
        EditorState.lineSeparator.of('\n'),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({ 'aria-label': LABEL }),
        EditorView.theme({ '&': { height: '40vh' } }),
        yCollab(text, null),
      ],
    }),
  });
  unbind = async () => {
    view.destroy();
    channel.close();
    doc.destroy();
    host.remove();
  };
}

/**
 * automerge-repo as its docs set it up in a browser: a Repo with IndexedDB storage
 * and the BroadcastChannel network adapter; the first tab creates the document, the
 * second finds it by URL; the textarea shows `doc.text` on every change.
 */
async function bindAutomerge(
  channelName: string,
  database: string,
  url: string | undefined,
): Promise<string> {
  const repo = new Repo({
    storage: new IndexedDBStorageAdapter(database),
    network: [new BroadcastChannelNetworkAdapter({ channelName })],
  });
  const handle: DocHandle<AutomergeText> = url
    ? await repo.find<AutomergeText>(url as AutomergeUrl)
    : repo.create<AutomergeText>({ text: '' });
  const el = textarea();
  el.value = handle.doc().text;
  handle.on('change', ({ doc }) => {
    if (el.value !== doc.text) el.value = doc.text;
  });
  el.addEventListener('input', () => {
    const edit = spliceBetween(handle.doc().text, el.value, {
      caret: el.selectionEnd,
    });
    handle.change(
      (d) =>
        void A.splice(d, ['text'], edit.index, edit.deleteCount, edit.insert),
    );
  });
  unbind = async () => {
    el.remove();
    await repo.shutdown();
  };
  return handle.url;
}

/** The floor: the typing tab posts its whole text, the other copies it into its textarea. */
function bindRawChannel(channelName: string): void {
  const channel = new BroadcastChannel(channelName);
  const el = textarea();
  channel.onmessage = ({ data }: MessageEvent<string>) => (el.value = data);
  el.addEventListener('input', () => channel.postMessage(el.value));
  unbind = async () => {
    channel.close();
    el.remove();
  };
}

export async function bindTextarea(
  peer: KeystrokePeer,
  options: { channel: string; database: string; url?: string; text?: string },
): Promise<string | undefined> {
  await unbindTextarea();
  if (peer === 'yjs-broadcastchannel') {
    bindYjs(options.channel, options.text);
    return undefined;
  }
  if (peer === 'yjs-codemirror') {
    bindYjsCodeMirror(options.channel, options.text);
    return undefined;
  }
  if (peer === 'broadcastchannel') {
    bindRawChannel(options.channel);
    return undefined;
  }
  return bindAutomerge(options.channel, options.database, options.url);
}

export async function unbindTextarea(): Promise<void> {
  const stop = unbind;
  unbind = undefined;
  await stop?.();
}
