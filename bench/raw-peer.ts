import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { encodeMessage, PROTOCOL } from '../src/sync/messages.ts';

/** How each event of an events message starts, up to its id (encodeEvent's order). */
const EVENT_START = Buffer.from('{"specversion":"1.0","id":"');
/** Characters of an event id. */
export const ID_LENGTH = 22;

/** Whether a message, as bytes, is of `type`. */
export const isMessage = (message: Buffer, type: string): boolean =>
  message.subarray(0, 9 + type.length).toString('latin1') ===
  `{"type":"${type}`;

/**
 * The events in an events message, counted in its bytes without decoding it, with
 * one pass of indexOf; `visit` is told where each one's id starts.
 */
export function countEvents(
  message: Buffer,
  visit?: (idAt: number) => void,
): number {
  let count = 0;
  for (
    let at = message.indexOf(EVENT_START);
    at >= 0;
    at = message.indexOf(EVENT_START, at + EVENT_START.length)
  ) {
    count++;
    visit?.(at + EVENT_START.length);
  }
  return count;
}

/** The socket reads of every peer land here in turn: each is handled before the next. */
const READS = Buffer.allocUnsafe(64 * 1024);
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/**
 * A WebSocket client of the relay, as lean as the protocol allows: the load of a
 * relay benchmark is hundreds of clients in the harness's one process, each sent
 * every event of its log, and with `ws` their reads, one new buffer per message and
 * its UTF-8 check took as much of the machine as the relay did. Here socket reads
 * land in one shared buffer, a message's payload is copied into its peer's own
 * buffer (grown as needed, never freed), and nothing is decoded. It speaks only
 * what the relay speaks to it: text messages, possibly fragmented, and close.
 * Frames it sends are masked with a zero key (RFC 6455 asks for a mask; any key
 * is one).
 */
export class RawPeer {
  private readonly socket: Socket;
  private handshake = '';
  private open = false;
  private closing = false;
  /** The frame header being read (at most 10 bytes from a server), and its length so far. */
  private readonly header = Buffer.alloc(10);
  private headerRead = 0;
  private payloadLeft = 0;
  private opcode = 0;
  private fin = false;
  /** The message being read, in `message[0, messageLength)`. */
  private message = Buffer.allocUnsafe(4096);
  private messageLength = 0;
  private messageOpcode = 0;
  private closedWith: { code: number; reason: string } | undefined;
  private onClose: ((code: number, reason: string) => void)[] = [];
  private onError: ((error: Error) => void)[] = [];

  constructor(
    url: string,
    onOpen: (peer: RawPeer) => void,
    /** Each message, as its bytes: valid during the call only. */
    private readonly onMessage: (message: Buffer) => void,
  ) {
    const { hostname, port, pathname } = new URL(url);
    const key = randomBytes(16).toString('base64');
    const accept = createHash('sha1')
      .update(key + GUID)
      .digest('base64');
    this.socket = connect({
      host: hostname,
      port: Number(port),
      noDelay: true,
      onread: {
        buffer: READS,
        // The buffer given is READS.
        callback: (bytes) => {
          this.read(READS.subarray(0, bytes), accept, onOpen);
          return true;
        },
      },
    });
    this.socket.on('connect', () =>
      this.socket.write(
        `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    this.socket.on('error', (error) => {
      for (const listener of this.onError) listener(error);
    });
    this.socket.on('close', () => {
      const { code, reason } = this.closedWith ?? { code: 1006, reason: '' };
      for (const listener of this.onClose) listener(code, reason);
    });
  }

  on(event: 'close', listener: (code: number, reason: string) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: 'close' | 'error', listener: (...args: never[]) => void): this {
    if (event === 'close')
      this.onClose.push(listener as (code: number, reason: string) => void);
    else this.onError.push(listener as (error: Error) => void);
    return this;
  }

  get isOpen(): boolean {
    return this.open && !this.closing;
  }

  /** Sends `text` as one text frame. */
  send(text: string): void {
    if (!this.isOpen) return;
    const length = Buffer.byteLength(text);
    const head = length < 126 ? 2 : length < 65536 ? 4 : 10;
    const frame = Buffer.allocUnsafe(head + 4 + length);
    frame[0] = 0x81;
    if (length < 126) frame[1] = 0x80 | length;
    else if (length < 65536) {
      frame[1] = 0x80 | 126;
      frame.writeUInt16BE(length, 2);
    } else {
      frame[1] = 0x80 | 127;
      frame.writeBigUInt64BE(BigInt(length), 2);
    }
    frame.writeUInt32BE(0, head); // the mask key: zero, so the payload is as it is
    frame.write(text, head + 4);
    this.socket.write(frame);
  }

  /** Says goodbye (close 1000) and ends the connection. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    if (this.open)
      this.socket.end(Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]));
    else this.socket.destroy();
  }

  private read(bytes: Buffer, accept: string, onOpen: (peer: RawPeer) => void) {
    let at = 0;
    if (!this.open) {
      // The handshake's answer, then frames (they may come in the same read).
      this.handshake += bytes.toString('latin1');
      const end = this.handshake.indexOf('\r\n\r\n');
      if (end < 0) return;
      const answer = this.handshake.slice(0, end);
      if (
        !answer.startsWith('HTTP/1.1 101') ||
        !answer.includes(`ec-WebSocket-Accept: ${accept}`)
      ) {
        const error = new Error(`the relay refused the upgrade: ${answer}`);
        for (const listener of this.onError) listener(error);
        this.socket.destroy();
        return;
      }
      at = bytes.length - (this.handshake.length - end - 4);
      this.handshake = '';
      this.open = true;
      onOpen(this);
    }
    while (at < bytes.length) {
      if (this.payloadLeft === 0) {
        // A header, a byte at a time (at most 10 of them).
        this.header[this.headerRead++] = bytes[at++]!;
        if (this.headerDone() && this.payloadLeft === 0) this.frameDone();
        continue;
      }
      const take = Math.min(this.payloadLeft, bytes.length - at);
      this.keep(bytes.subarray(at, at + take));
      at += take;
      this.payloadLeft -= take;
      if (this.payloadLeft === 0) this.frameDone();
    }
  }

  /** Whether the header read so far is whole; if so, the frame's payload begins. */
  private headerDone(): boolean {
    if (this.headerRead < 2) return false;
    const short = this.header[1]! & 0x7f;
    const size = short === 126 ? 4 : short === 127 ? 10 : 2;
    if (this.headerRead < size) return false;
    this.fin = (this.header[0]! & 0x80) !== 0;
    this.opcode = this.header[0]! & 0x0f;
    this.payloadLeft =
      short === 126
        ? this.header.readUInt16BE(2)
        : short === 127
          ? Number(this.header.readBigUInt64BE(2))
          : short;
    this.headerRead = 0;
    if (this.opcode !== 0) {
      // A new message (text, or close): a continuation goes on with the last.
      this.messageOpcode = this.opcode;
      this.messageLength = 0;
    }
    return true;
  }

  private keep(part: Buffer): void {
    const need = this.messageLength + part.length;
    if (need > this.message.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, 2 * this.message.length));
      this.message.copy(grown, 0, 0, this.messageLength);
      this.message = grown;
    }
    part.copy(this.message, this.messageLength);
    this.messageLength = need;
  }

  private frameDone(): void {
    if (!this.fin) return;
    const message = this.message.subarray(0, this.messageLength);
    if (this.messageOpcode === 0x1) this.onMessage(message);
    else if (this.messageOpcode === 0x8) {
      this.closedWith = {
        code: message.length >= 2 ? message.readUInt16BE(0) : 1005,
        reason: message.subarray(2).toString('utf8'),
      };
      this.closing = true;
      this.socket.end();
    }
  }
}

/**
 * A connection to a relay that speaks the protocol with no engine behind it: it says
 * hello holding nothing, and acknowledges every batch it is sent (holding nothing
 * it says so), handing each message to `onMessage` first, as the bytes it came in
 * (valid during the call only). What a relay benchmark measures is then the
 * relay's work, not its clients'.
 */
export function rawPeer(
  url: string,
  target: { logId: string; token: string },
  onMessage: (message: Buffer) => void,
): RawPeer {
  const peer: RawPeer = new RawPeer(
    url,
    (open) =>
      open.send(
        encodeMessage({
          type: 'hello',
          protocol: PROTOCOL,
          log: target.logId,
          token: target.token,
          vector: {},
        }),
      ),
    (data) => {
      onMessage(data);
      if (isMessage(data, 'events'))
        peer.send(
          `{"type":"ack","id":${/"id":(\d+)/.exec(data.toString('latin1', 0, 48))![1]},"vector":{}}`,
        );
    },
  );
  return peer;
}
