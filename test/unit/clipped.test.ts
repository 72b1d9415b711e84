import { describe, expect, it } from 'vitest';
import { clipped, CHOICE_SHOWN, listedName } from '../../src/ui/clipped.ts';

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
