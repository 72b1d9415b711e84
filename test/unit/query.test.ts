import { describe, expect, it } from 'vitest';
import { InvalidQueryError, openLog } from '../../src/index.ts';

describe('log.query', () => {
  it('pages forward without skipping what is stored between two pages', async () => {
    const log = await openLog();
    await log.append(
      'doc/a',
      [1, 2, 3].map((n) => ({ type: 'edit', data: n })),
    );
    const first = await log.query({ streams: 'doc/' }, { limit: 2 });
    expect(first.events.map((e) => e.data)).toEqual([1, 2]);
    await log.append('doc/b', { type: 'edit', data: 4 });
    const second = await log.query({ streams: 'doc/' }, { after: first.next! });
    expect(second.events.map((e) => e.data)).toEqual([3, 4]);
    expect(second.next).toBeUndefined();
    await log.close();
  });

  it('says there is no next page when the page ends the matches exactly', async () => {
    const log = await openLog();
    await log.append(
      'doc/a',
      [1, 2].map((n) => ({ type: 'edit', data: n })),
    );
    await log.append('doc/b', { type: 'note', data: 3 });
    const page = await log.query({ types: ['edit'] }, { limit: 2 });
    expect(page.events).toHaveLength(2);
    expect(page.next).toBeUndefined();
    await log.close();
  });

  it('refuses filters, limits and cursors it cannot use, saying which', async () => {
    const log = await openLog();
    const refused: [unknown, unknown, string][] = [
      [null, undefined, 'filter'],
      [{ streams: 1 }, undefined, 'streams'],
      [{ types: 'edit' }, undefined, 'types'],
      [{ author: ['a'] }, undefined, 'author'],
      [{ from: 'yesterday' }, undefined, 'from'],
      [{ to: '2026-13-45' }, undefined, 'to'],
      [{ from: '1' }, undefined, 'from'],
      [{}, { limit: 0 }, 'limit'],
      [{}, { limit: 1001 }, 'limit'],
      [{}, { limit: 2.5 }, 'limit'],
      [{}, { after: '-1' }, 'after'],
      [{}, { after: '1e3' }, 'after'],
      [{}, { after: '99999999999999999' }, 'after'],
      [{}, { after: 12 }, 'after'],
    ];
    for (const [filter, page, option] of refused) {
      const attempt = log.query(
        filter as Parameters<typeof log.query>[0],
        page as Parameters<typeof log.query>[1],
      );
      await expect(attempt).rejects.toBeInstanceOf(InvalidQueryError);
      await expect(
        attempt,
        JSON.stringify([filter, page]),
      ).rejects.toMatchObject({
        code: 'INVALID_QUERY',
        option,
      });
    }
    await log.close();
  });
});
