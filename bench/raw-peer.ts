import WebSocket from 'ws';
import { encodeMessage, PROTOCOL } from '../src/sync/messages.ts';

/**
 * A connection to a relay that speaks the protocol with no engine behind it: it says
 * hello holding nothing, and acknowledges every batch it is sent (holding nothing
 * it says so), handing each message's text to `onMessage` first. What a relay
 * benchmark measures is then the relay's work, not its clients'.
 */
export function rawPeer(
  url: string,
  target: { logId: string; token: string },
  onMessage: (text: string) => void,
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
  ws.on('message', (data) => {
    const text = String(data);
    onMessage(text);
    if (text.startsWith('{"type":"events"') && ws.readyState === ws.OPEN)
      ws.send(`{"type":"ack","id":${/"id":(\d+)/.exec(text)![1]},"vector":{}}`);
  });
  return ws;
}
