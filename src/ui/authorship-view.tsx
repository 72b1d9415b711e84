import { signal } from '@preact/signals';
import { Component } from 'preact';
import { useEffect } from 'preact/hooks';
import type { AuthorBlocksTotals, LineBlock } from '../contract/index.ts';
import { blocksOfAnswer } from '../doc/authorship-blocks.ts';
import { current, historyVersion, logService } from './app-state.ts';
import { looking } from './history-view.tsx';
import { dateTimeText } from './time-text.ts';

/** The answer shown: for which version, and its blocks. */
interface Shown {
  key: string;
  /** The worker's id for it: the next ask is answered with what changed since. */
  id: string;
  authors: AuthorBlocksTotals[];
  blocks: LineBlock[];
}

const shown = signal<Shown | undefined>(undefined);
const problem = signal<string | undefined>(undefined);

/** Authors get colours in the order they are listed: as many as people tell apart easily. */
const COLOURS = 6;
const colourOf = (look: number) => `by-${look % COLOURS}`;

/** The answer for `docId` at `at`, sent as what changed since `before`. */
async function ask(
  docId: string,
  at: string[] | undefined,
  key: string,
  before: Shown | undefined,
): Promise<Shown> {
  const service = await logService();
  let answer = await service.authorship(docId, at, before?.id);
  const held = new Map(before?.blocks.map((b) => [b.key, b]));
  let blocks = blocksOfAnswer(held, answer.blocks);
  // It named a block not held here (it cannot, but a page never shows a guess).
  if (!blocks) {
    answer = await service.authorship(docId, at);
    blocks = blocksOfAnswer(new Map(), answer.blocks)!;
  }
  return { key, id: answer.id, authors: answer.authors, blocks };
}

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
        const answer = await ask(doc.docId, at, key, shown.peek());
        if (!stale) {
          shown.value = answer;
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
  const authorship = fits(shown.value?.key) ? shown.value : undefined;
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
                    <span class={`swatch ${colourOf(a.look)}`} /> {a.author}
                  </th>
                  <td>{a.current}</td>
                  <td>{a.inserted}</td>
                  <td>{a.deleted}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Blocks blocks={authorship.blocks} />
        </>
      )}
    </section>
  );
}

/**
 * The attributed text: gone through again only when an answer comes, not at every
 * delivery that moves the version (a long text is hundreds of blocks).
 */
class Blocks extends Component<{ blocks: LineBlock[] }> {
  override shouldComponentUpdate(next: Blocks['props']): boolean {
    return next.blocks !== this.props.blocks;
  }

  override render() {
    return (
      <div class="attributed">
        {this.props.blocks.map((block) => (
          <Block key={block.key} block={block} />
        ))}
      </div>
    );
  }
}

/**
 * Lines of the attributed text drawn together: a block the worker said is the
 * same as the last answer's is that answer's block, and is not drawn again.
 */
class Block extends Component<{ block: LineBlock }> {
  override shouldComponentUpdate(next: Block['props']): boolean {
    return next.block !== this.props.block;
  }

  override render() {
    const { block } = this.props;
    return (
      <div class="block">
        {block.lines.map((line) => (
          <p key={line.key} class="line">
            {line.pieces.map(({ author, from, to, text, starts, look }, i) => (
              <span
                key={i}
                class={`run ${colourOf(look)}`}
                data-author={author}
                title={starts ? `${author}, ${when(from, to)}` : author}
              >
                {starts && <span class="run-author">{author}</span>}
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
