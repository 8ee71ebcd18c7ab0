package io.boottorrent.nbd;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;

/**
 * What an NBD export serves: bytes of a fixed-size image. A read may complete much later (a piece
 * still downloading); a failed future is an I/O error for that request only (NBD EIO).
 */
public interface BlockSource {
  long size();

  /** Exactly {@code length} bytes at {@code offset}, both within {@link #size()}. */
  Future<Buffer> read(long offset, int length);
}
