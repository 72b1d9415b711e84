import { signal } from '@preact/signals';
import { Component } from 'preact';
import { useEffect, useMemo } from 'preact/hooks';
import type { Authorship } from '../contract/index.ts';
import { current, historyVersion, logService } from './app-state.ts';
import {
  attributedLines,
  blocksOf,
  sameBlock,
  type LineBlock,
} from './attributed-lines.ts';
import { looking } from './history-view.tsx';
import { dateTimeText } from './time-text.ts';

const shown = signal<{ key: string; authorship: Authorship } | undefined>(
  undefined,
);
const problem = signal<string | undefined>(undefined);

/** Authors get colours in the order they are listed: as many as people tell apart easily. */
const COLOURS = 6;

/**
 * The text shown (the current version, or the one being looked at in the history)
 * with each run of characters marked with who typed it, and each writer's totals.
 */
export function AuthorshipView() {
  const doc = current.value;
  const at = looking.value?.heads;
  // A past version never changes: only the current one is asked for again as
  // events arrive (`historyVersion` moves with every delivery).
  const key = at
    ? `${doc?.docId}\nat ${at.join()}`
    : `${doc?.docId}\nnow ${historyVersion.value}`;
  useEffect(() => {
    if (!doc) return;
    let stale = false;
    // While typing goes on, once it pauses.
    const timer = setTimeout(async () => {
      try {
        const authorship = await (await logService()).authorship(doc.docId, at);
        if (!stale) {
          shown.value = { key, authorship };
          problem.value = undefined;
        }
      } catch (error) {
        if (!stale) problem.value = (error as Error).message;
      }
    }, 150);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [key]);
  // An answer for another version is not shown; the current text's last answer
  // is, while the next one comes.
  const now = `${doc?.docId}\nnow `;
  const fits = (k: string | undefined) =>
    k === key || (!at && k?.startsWith(now) === true);
  const authorship = fits(shown.value?.key)
    ? shown.value?.authorship
    : undefined;
  // Once per answer: the view also draws again at every delivery, before the
  // answer for it comes, and cutting a long text into blocks costs its length.
  const { colour, blocks } = useMemo(() => {
    const colour = new Map(
      (authorship?.authors ?? []).map((a, i) => [a.author, i % COLOURS]),
    );
    const blocks = authorship
      ? blocksOf(
          attributedLines(authorship.runs, (run) =>
            String(colour.get(run.author) ?? 0),
          ),
        )
      : [];
    return { colour, blocks };
  }, [authorship]);
  return (
    <section class="authorship" aria-label="Authorship">
      <h2>Authorship{at ? ' of this version' : ''}</h2>
      {problem.value && <p class="problem">{problem.value}</p>}
      {!authorship ? (
        <p>Reading who wrote what…</p>
      ) : (
        <>
          <table class="authors">
            <caption>Characters per author</caption>
            <thead>
              <tr>
                <th scope="col">Author</th>
                <th scope="col">In this text</th>
                <th scope="col">Inserted</th>
                <th scope="col">Deleted</th>
              </tr>
            </thead>
            <tbody>
              {authorship.authors.map((a) => (
                <tr key={a.author}>
                  <th scope="row">
                    <span class={`swatch by-${colour.get(a.author)}`} />{' '}
                    {a.author}
                  </th>
                  <td>{a.current}</td>
                  <td>{a.inserted}</td>
                  <td>{a.deleted}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div class="attributed">
            {blocks.map((block) => (
              <Block key={block.key} block={block} />
            ))}
          </div>
        </>
      )}
    </section>
  );
}

/**
 * Lines of the attributed text drawn together: a block the same as the last
 * answer's under its key is not drawn again.
 */
class Block extends Component<{ block: LineBlock }> {
  override shouldComponentUpdate(next: Block['props']): boolean {
    return !sameBlock(next.block, this.props.block);
  }

  override render() {
    const { block } = this.props;
    return (
      <div class="block">
        {block.lines.map((line) => (
          <p key={line.key} class="line">
            {line.pieces.map(({ run, text, starts, look }, i) => (
              <span
                key={i}
                class={`run by-${look}`}
                data-author={run.author}
                title={
                  starts
                    ? `${run.author}, ${when(run.from, run.to)}`
                    : run.author
                }
              >
                {starts && <span class="run-author">{run.author}</span>}
                {text}
              </span>
            ))}
          </p>
        ))}
      </div>
    );
  }
}

const when = (from: string, to: string) => {
  if (!from) return 'time unknown';
  const first = dateTimeText(from);
  return from === to ? first : `${first} to ${dateTimeText(to)}`;
};
