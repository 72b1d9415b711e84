import { describe, expect, it } from 'vitest';
import { clipped } from '../../src/ui/clipped.ts';

describe('a value shown clipped', () => {
  it('is whole up to its bound, then cut there, saying its length', () => {
    expect(clipped('Plan A', 6)).toBe('Plan A');
    expect(clipped('H'.repeat(200_000), 5)).toBe('HHHHH… (200,000 characters)');
  });

  it('is never cut inside a surrogate pair', () => {
    expect(clipped('ab😀cd', 3)).toBe('ab… (6 characters)');
    expect(clipped('ab😀cd', 4)).toBe('ab😀… (6 characters)');
  });
});
