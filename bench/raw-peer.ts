import WebSocket from 'ws';
import { encodeMessage, PROTOCOL } from '../src/sync/messages.ts';

/** What each event of an events message starts with. */
const EVENT_MARK = Buffer.from('{"specversion"');

/** Whether a message, as bytes, is of `type`. */
export const isMessage = (message: Buffer, type: string): boolean =>
  message.subarray(0, 9 + type.length).toString('latin1') ===
  `{"type":"${type}`;

/** The events in an events message, counted in its bytes without decoding it. */
export function countEvents(message: Buffer): number {
  let count = 0;
  for (
    let at = message.indexOf(EVENT_MARK);
    at >= 0;
    at = message.indexOf(EVENT_MARK, at + EVENT_MARK.length)
  )
    count++;
  return count;
}

/**
 * A connection to a relay that speaks the protocol with no engine behind it: it says
 * hello holding nothing, and acknowledges every batch it is sent (holding nothing
 * it says so), handing each message to `onMessage` first, as the bytes it came in
 * (with hundreds of clients in one process, decoding every message made the
 * harness the bottleneck). What a relay benchmark measures is then the relay's
 * work, not its clients'.
 */
export function rawPeer(
  url: string,
  target: { logId: string; token: string },
  onMessage: (message: Buffer) => void,
): WebSocket {
  const ws = new WebSocket(url);
  ws.on('open', () =>
    ws.send(
      encodeMessage({
        type: 'hello',
        protocol: PROTOCOL,
        log: target.logId,
        token: target.token,
        vector: {},
      }),
    ),
  );
  ws.on('message', (data: Buffer) => {
    onMessage(data);
    if (isMessage(data, 'events') && ws.readyState === ws.OPEN)
      ws.send(
        `{"type":"ack","id":${/"id":(\d+)/.exec(data.toString('latin1', 0, 48))![1]},"vector":{}}`,
      );
  });
  return ws;
}
