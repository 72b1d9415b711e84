import { describe, expect, it } from 'vitest';
import { conflictWords, fieldName } from '../../src/ui/conflict-words.ts';

describe('an event’s conflict, as the explorer says it', () => {
  it('is said in words, not in the engine’s names', () => {
    expect(conflictWords(2, 'resolved', 'concurrent-appends')).toBe(
      'One of 3 events on sides written at the same time; a later event saw both sides',
    );
    expect(conflictWords(1, 'unresolved', 'concurrent-appends')).toBe(
      'One of 2 events on sides written at the same time; no event has seen both sides yet',
    );
    // A text edit's sides are merged in the text, as the timeline says,
    // before any event joins them.
    expect(conflictWords(1, 'unresolved', 'concurrent-appends', true)).toBe(
      'One of 2 events on sides written at the same time; merged in the text, no event has seen both sides yet',
    );
    // A kind another replica's log names is said as it is.
    expect(conflictWords(1, 'auto-merged', 'x-custom')).toBe(
      'x-custom, one of 2 events; merged',
    );
  });
});

describe('a field, as the conflict timeline names it', () => {
  it('is "Title", or another field quoted, clipped, its bidi controls kept to it', () => {
    expect(fieldName('title')).toBe('Title');
    expect(fieldName('status')).toBe('Field “status”');
    // Named by another replica: 256 characters would fill the heading.
    expect(fieldName('x'.repeat(256))).toBe(
      `Field “${'x'.repeat(60)}… (256 characters)”`,
    );
    // "…\u202E" turned the words after the name backwards.
    expect(fieldName('a\u202Eb')).toBe('Field “\u2068a\u202Eb\u2069”');
  });
});
