import { eventsBodyUtf8, type EncodedEvent } from '../src/sync/messages.ts';

/** Bytes of batch bodies kept for the next session sent the same events. */
const KEPT_BYTES = 4 * 1024 * 1024;

interface Kept {
  events: readonly EncodedEvent[];
  body: Uint8Array;
}

/**
 * The bodies of the batches a relay sent lately (`eventsBodyUtf8`), so that a batch
 * every session of a log is sent alike (a write's events, pushed to each of its
 * log's clients) is encoded once, not once per client. A batch is known by its
 * encoded events, which the engine keeps one object per event id while they are
 * recent (`encodeEvent`): the same objects in the same order are the same bytes.
 * Bounded by bytes; the oldest go first.
 */
export class SharedBatches {
  /** By each batch's first event; Maps iterate oldest first. */
  private readonly kept = new Map<EncodedEvent, Kept>();
  private bytes = 0;

  constructor(private readonly maxBytes = KEPT_BYTES) {}

  body(events: readonly EncodedEvent[]): Uint8Array {
    const first = events[0];
    const found = first && this.kept.get(first);
    if (found && sameEvents(found.events, events)) return found.body;
    const body = eventsBodyUtf8(events);
    if (!first || body.length > this.maxBytes / 4) return body;
    if (found) this.forget(first, found);
    this.kept.set(first, { events, body });
    this.bytes += body.length;
    for (const [key, old] of this.kept) {
      if (this.bytes <= this.maxBytes) break;
      this.forget(key, old);
    }
    return body;
  }

  private forget(key: EncodedEvent, kept: Kept): void {
    this.kept.delete(key);
    this.bytes -= kept.body.length;
  }
}

function sameEvents(
  a: readonly EncodedEvent[],
  b: readonly EncodedEvent[],
): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
