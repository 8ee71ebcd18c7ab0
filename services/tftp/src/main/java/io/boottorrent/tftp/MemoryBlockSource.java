package io.boottorrent.tftp;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;

/** A transfer of bytes made in memory (a generated boot config), in octet mode. */
final class MemoryBlockSource implements BlockSource {
  private final Buffer data;
  private final int blksize;

  MemoryBlockSource(Buffer data, int blksize) {
    this.data = data;
    this.blksize = blksize;
  }

  @Override
  public long length() {
    return data.length();
  }

  @Override
  public Future<Buffer> block(long index, int length) {
    int from = (int) ((index - 1) * blksize);
    return Future.succeededFuture(data.slice(from, from + length));
  }

  @Override
  public Future<Void> close() {
    return Future.succeededFuture();
  }
}
