/**
 * Tells the other tabs' workers that positions up to `lastPos` are committed. The
 * message carries no content: receivers read the events from IndexedDB, which is the
 * only thing a tab trusts (DESIGN §9).
 */
export interface TabFanout {
  announce(lastPos: number): void;
  close(): void;
}

interface Announcement {
  kind: 'committed';
  lastPos: number;
}

export function openTabFanout(
  database: string,
  onCommitted: (lastPos: number) => void,
): TabFanout {
  const channel = new BroadcastChannel(`forkline:${database}`);
  channel.onmessage = (message: MessageEvent<Announcement>) => {
    const lastPos = Number(message.data?.lastPos);
    if (message.data?.kind === 'committed' && Number.isSafeInteger(lastPos))
      onCommitted(lastPos);
  };
  return {
    announce: (lastPos) =>
      channel.postMessage({
        kind: 'committed',
        lastPos,
      } satisfies Announcement),
    close: () => channel.close(),
  };
}
