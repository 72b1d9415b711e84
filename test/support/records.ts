import { computeEventId } from '../../src/log/event-id.ts';
import type { EventRecord } from '../../src/log/store.ts';
import type { LogEvent } from '../../src/log/types.ts';

/** A valid event record built by hand, for exercising a Store below the engine. */
export function makeRecord(
  fields: Partial<Omit<LogEvent, 'id'>> & { pos: number; gen?: number },
): EventRecord {
  const { pos, gen = 1, ...rest } = fields;
  const body: Omit<LogEvent, 'id'> = {
    stream: 'doc/a',
    type: 'test.event',
    data: { pos },
    parents: [],
    actor: 'actor-a',
    seq: pos,
    hlc: `00000000000${(pos % 10).toString(16)}.${pos.toString(16).padStart(4, '0')}`,
    time: '2026-01-01T00:00:00.000Z',
    ...rest,
  };
  return {
    event: { id: computeEventId(body), ...body },
    pos,
    recordedAt: 0,
    gen,
  };
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
