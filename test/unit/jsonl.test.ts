import { describe, expect, it } from 'vitest';
import { ImportError, openLog } from '../../src/index.ts';
import { collect } from '../support/records.ts';

async function exported() {
  const log = await openLog({ actor: 'device-a' });
  const [root] = await log.append('doc/a', {
    type: 'doc.created',
    data: { title: 'x' },
    author: 'Tab 1',
  });
  await log.append('doc/a', {
    type: 'doc.text.edited',
    data: new Uint8Array([0, 255]),
  });
  await log.append(
    'doc/a',
    { type: 'doc.field.set', data: null },
    { expected: [root!.event.id] },
  );
  return { log, lines: await collect(log.export()) };
}

describe('export as CloudEvents JSON Lines', () => {
  it('writes one structured-mode CloudEvent per line with our fields as string extensions', async () => {
    const { log, lines } = await exported();
    expect(lines).toHaveLength(3);
    const [first, second] = lines.map((l) => JSON.parse(l));
    const events = await collect(log.since({}));
    expect(first).toEqual({
      specversion: '1.0',
      id: events[0]!.id,
      source: 'urn:forkline:log',
      type: 'doc.created',
      subject: 'doc/a',
      time: events[0]!.time,
      datacontenttype: 'application/json',
      data: { title: 'x' },
      parents: '',
      actor: 'device-a',
      seq: '1',
      hlc: events[0]!.hlc,
      author: 'Tab 1',
    });
    expect(second).toMatchObject({
      data_base64: 'AP8=',
      parents: events[0]!.id,
      seq: '2',
    });
    expect(
      lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n')),
    ).toBe(true);
  });
});

describe('import', () => {
  it('round-trips into a fresh log: same heads, order and conflicts', async () => {
    const { log, lines } = await exported();
    const copy = await openLog();
    expect(await copy.import(lines)).toEqual({
      lines: 3,
      stored: 3,
      duplicates: 0,
      repeated: 0,
    });
    expect(await copy.heads('doc/a')).toEqual(await log.heads('doc/a'));
    expect(await collect(copy.read('doc/a'))).toEqual(
      await collect(log.read('doc/a')),
    );
    expect(await copy.conflicts('doc/a')).toEqual(await log.conflicts('doc/a'));
  });

  it('is idempotent', async () => {
    const { lines } = await exported();
    const copy = await openLog();
    await copy.import(lines);
    expect(await copy.import(lines)).toEqual({
      lines: 3,
      stored: 0,
      duplicates: 3,
      repeated: 0,
    });
  });

  const corrupt: [string, (lines: string[]) => string[], number, RegExp][] = [
    [
      'malformed JSON',
      (l) => [l[0]!, '{"specversion":', l[2]!],
      2,
      // Within the file: not said to be cut short. Where, in the line's terms
      // (QA pass 15: the engine's "(line 1 column 16)" of the file's line 2).
      /^(?![\s\S]*cut short)[\s\S]*line 2: not valid JSON at column 16 \(the line ends where a value should be\)\. Nothing/,
    ],
    [
      'a last line cut off, as by a download that stopped',
      (l) => [l[0]!, l[1]!, l[2]!.slice(0, 40)],
      3,
      /line 3: not valid JSON at column \d+ \(a string that opens there is not closed\), and it is the file's last line: the file may have been cut short\. Nothing/,
    ],
    [
      'a line cut off, then only blank lines',
      (l) => [l[0]!, l[1]!.slice(0, 40), '', '  '],
      2,
      /the file's last line: the file may have been cut short/,
    ],
    [
      'a file of one line that is no JSON at all (QA pass 17)',
      () => ['hello world'],
      1,
      // No line before it read: a file of something else, not one cut short.
      /^(?![\s\S]*cut short)[\s\S]*line 1: not valid JSON at column 1 \(“hello” is not a JSON value/,
    ],
    [
      'a missing attribute',
      (l) => [l[0]!, l[1]!.replace('"hlc"', '"hlcx"')],
      2,
      /"hlc" is missing/,
    ],
    [
      'an attribute that is no string (QA pass 18: "missing or not a non-empty string")',
      (l) => [l[0]!, l[1]!.replace(/"source":"[^"]*"/, '"source":7')],
      2,
      /attribute "source" is a number, not a string/,
    ],
    [
      'an empty attribute',
      (l) => [l[0]!, l[1]!.replace(/"source":"[^"]*"/, '"source":""')],
      2,
      /attribute "source" is empty/,
    ],
    [
      'a wrong specversion',
      (l) => [l[0]!.replace('"1.0"', '"0.3"')],
      1,
      /specversion/,
    ],
    [
      'a tampered byte in data',
      (l) => [l[0]!.replace('"title":"x"', '"title":"y"')],
      1,
      /fails verification/,
    ],
    [
      'an unknown parent',
      (l) => [l[1]!],
      1,
      /comes after its parent \S+ and event 1 of writer device-a that neither this log nor the file holds: the file is missing events/,
    ],
    [
      'a __proto__ key in data',
      (l) => [l[0]!.replace('{"title":"x"}', '{"__proto__":{"x":1}}')],
      1,
      /__proto__/,
    ],
    [
      'both data and data_base64',
      (l) => [l[0]!.replace('"data":', '"data_base64":"AA","data":')],
      1,
      /both/,
    ],
    [
      'base64 whose unused bits are not zero (a second spelling of the same bytes)',
      (l) => [l[0]!, l[1]!.replace('"AP8="', '"AP9="')],
      2,
      /unused bits/,
    ],
    [
      'a later line claiming an earlier id with other content',
      (l) => [l[0]!, l[0]!.replace('"title":"x"', '"title":"y"')],
      2,
      /fails verification/,
    ],
    [
      'an oversized line',
      () => ['"' + 'x'.repeat(8 * 1024 * 1024 + 1) + '"'],
      1,
      /over the limit/,
    ],
  ];
  it.each(corrupt)(
    'refuses %s, naming the line, and imports nothing',
    async (_what, mutate, line, reason) => {
      const { lines } = await exported();
      const copy = await openLog();
      const error = await copy.import(mutate(lines)).catch((e) => e);
      expect(error).toBeInstanceOf(ImportError);
      expect(error.line).toBe(line);
      expect(error.message).toMatch(reason);
      // The reason's own full stop ends it: never two ("forged; nothing was stored..").
      expect(error.message).not.toMatch(/\.\./);
      expect(error.message).toMatch(/\. Nothing was imported\.$/);
      expect(await copy.versionVector()).toEqual({});
    },
  );
});
