import { describe, expect, it } from 'vitest';
import {
  clipped,
  CHOICE_SHOWN,
  endsApart,
  listedName,
} from '../../src/ui/clipped.ts';

describe('a value shown clipped', () => {
  it('is whole up to its bound, then cut there, saying its length', () => {
    expect(clipped('Plan A', 6)).toBe('Plan A');
    expect(clipped('H'.repeat(200_000), 5)).toBe('HHHHH… (200,000 characters)');
  });

  it('is never cut inside a surrogate pair', () => {
    expect(clipped('ab😀cd', 3)).toBe('ab… (6 characters)');
    expect(clipped('ab😀cd', 4)).toBe('ab😀… (6 characters)');
  });

  it('names a listed document by its titles, each clipped (QA pass 11)', () => {
    expect(listedName([])).toBe('Untitled');
    expect(listedName(['Plan', 'Budget'])).toBe('Plan / Budget');
    const name = listedName(['Plan', 'H'.repeat(20_000)]);
    expect(name).toBe(
      `Plan / ${'H'.repeat(CHOICE_SHOWN)}… (20,000 characters)`,
    );
  });
});

describe('names that begin alike, shown by their ends', () => {
  it('keep ends long enough to differ, from a word’s start (QA pass 18)', () => {
    const names = [
      'Long document, 10k events',
      'Long document, 100k events',
      'Notes',
    ];
    // Nine characters ("0k events") read alike: the ends go back to where the
    // names differ, and on to the start of that word.
    expect(endsApart(names, [true, true, false], 9, 14)).toEqual([
      10, // "10k events"
      11, // "100k events"
      undefined,
    ]);
    // Ends that differ within nine characters keep nine.
    expect(
      endsApart(
        ['Quarterly plan for Q1 2026', 'Quarterly plan for Q2 2026'],
        [true, true],
        9,
        14,
      ),
    ).toEqual([9, 9]);
    // Never more than the most, nor the whole name.
    const long = ['a' + 'x'.repeat(30), 'b' + 'x'.repeat(30)];
    expect(endsApart(long, [true, true], 9, 14)).toEqual([14, 14]);
    expect(endsApart(['ab', 'cb'], [true, true], 9, 14)).toEqual([1, 1]);
  });
});
