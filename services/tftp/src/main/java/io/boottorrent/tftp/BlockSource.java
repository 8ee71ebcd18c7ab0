package io.boottorrent.tftp;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;

/**
 * The bytes of one transfer, block by block, read asynchronously. One caller at a time: a block is
 * requested only after the previous request completed.
 */
interface BlockSource {
  /** Bytes on the wire (for netascii: after conversion). */
  long length();

  /**
   * The payload of block {@code index} (1-based), {@code length} bytes. Blocks are requested in
   * order, except that a resend may go back at most one window.
   */
  Future<Buffer> block(long index, int length);

  Future<Void> close();
}
