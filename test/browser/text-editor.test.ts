// A long document's text is shown before its Y.Doc is ready (issue 14: open.cold to
// text); whatever is typed meanwhile must not be lost when the LiveDocument comes.
import { h, render } from 'preact';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { openLog, TEXT_EDITED, textUpdateOf } from '../../src/index.ts';
import { LiveDocument } from '../../src/ui/live-document.ts';
import { TextEditor } from '../../src/ui/text-editor.tsx';
import { collect } from '../support/records.ts';

const STREAM = 'doc/opening';

describe('the text editor while its document opens', () => {
  it('shows the snapshot text at once and keeps what is typed before the Y.Doc is ready', async () => {
    const log = await openLog({ actor: 'desk' });
    const seed = new Y.Doc();
    seed.getText('body').insert(0, 'Shared start.');
    await log.append(STREAM, {
      type: TEXT_EDITED,
      data: Y.encodeStateAsUpdate(seed),
    });
    const container = document.createElement('div');
    document.body.append(container);
    try {
      render(
        h(TextEditor, { live: undefined, text: 'Shared start.' }),
        container,
      );
      const area = container.querySelector('textarea')!;
      // Effects run after the frame is painted.
      await expect.poll(() => area.value).toBe('Shared start.');

      // A newer text while opening (nothing typed yet) replaces the shown one.
      render(
        h(TextEditor, { live: undefined, text: 'Shared start' }),
        container,
      );
      await expect.poll(() => area.value).toBe('Shared start');
      render(
        h(TextEditor, { live: undefined, text: 'Shared start.' }),
        container,
      );
      await expect.poll(() => area.value).toBe('Shared start.');

      // Typed at the end while the document opens: only the textarea has it.
      area.focus();
      area.setSelectionRange(area.value.length, area.value.length);
      area.value += ' Typed early.';
      area.dispatchEvent(new Event('input', { bubbles: true }));

      const live = new LiveDocument({
        state: Y.encodeStateAsUpdate(seed),
        heads: await log.heads(STREAM),
        included: [],
        send: async (update, expected) =>
          (
            await log.append(
              STREAM,
              { type: TEXT_EDITED, data: update },
              { expected },
            )
          )[0]!,
      });
      render(h(TextEditor, { live }), container);
      expect(container.querySelector('textarea')).toBe(area);
      await expect
        .poll(() => live.text.toString())
        .toBe('Shared start. Typed early.');
      await live.flush();

      // The log holds it: folded from the events alone.
      const folded = new Y.Doc();
      for (const event of await collect(log.read(STREAM)))
        Y.applyUpdate(folded, textUpdateOf(event)!);
      expect(folded.getText('body').toString()).toBe(
        'Shared start. Typed early.',
      );
      live.close();
    } finally {
      render(null, container);
      container.remove();
    }
  });
});
