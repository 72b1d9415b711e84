/**
 * The ArrayBuffers behind byte payloads (Yjs updates) in events or inputs, so they
 * can be moved across threads instead of copied. Only pass values the sender will
 * not touch again: a transferred buffer is detached on this side.
 */
export function byteBuffersOf(
  items: readonly { data: unknown }[],
): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const { data } of items) {
    // Only whole, unshared buffers: transferring a view's larger backing buffer would detach its neighbours.
    if (
      data instanceof Uint8Array &&
      data.buffer instanceof ArrayBuffer &&
      data.byteOffset === 0 &&
      data.byteLength === data.buffer.byteLength
    ) {
      buffers.add(data.buffer);
    }
  }
  return [...buffers];
}
