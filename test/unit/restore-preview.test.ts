import { describe, expect, it } from 'vitest';
import { restoreChanges } from '../../src/ui/restore-preview.ts';

describe('what a restore changes besides the text, in words', () => {
  it('names a title it sets, a conflict it settles or brings back, and a field it clears', () => {
    expect(
      restoreChanges({ title: ['First title'] }, { title: ['Second title'] }),
    ).toEqual([
      'Restoring sets the title to “First title” (now “Second title”).',
    ]);
    expect(
      restoreChanges(
        { title: ['Journal'] },
        { title: ['Title from B', 'Title from A offline'] },
      ),
    ).toEqual([
      'Restoring settles the title, now in conflict between “Title from B” and “Title from A offline”: it becomes “Journal”.',
    ]);
    expect(
      restoreChanges({ title: ['Plan A', 'Plan B'] }, { title: ['Plan B'] }),
    ).toEqual([
      'Restoring brings back “Plan A” and “Plan B” for the title, kept side by side until one is picked (now “Plan B”).',
    ]);
    expect(restoreChanges({ title: ['Alpha'] }, { title: [''] })).toEqual([
      'Restoring sets the title to “Alpha” (now empty).',
    ]);
    expect(restoreChanges({}, { status: ['done'] })).toEqual([
      'Restoring clears the field “status” (now “done”).',
    ]);
  });

  it('clips a value another replica may have written at any length', () => {
    const [line] = restoreChanges(
      { title: ['H'.repeat(200_000)] },
      { title: ['Short'] },
    );
    expect(line!.length).toBeLessThan(400);
    expect(line).toContain('(200,000 characters)');
  });

  it('says nothing of fields it leaves as they are, in any order, nor of deletion', () => {
    expect(
      restoreChanges(
        { title: ['A', 'B'], n: [1], '@deleted': [true] },
        { title: ['B', 'A'], n: [1], '@deleted': [false] },
      ),
    ).toEqual([]);
  });
});
