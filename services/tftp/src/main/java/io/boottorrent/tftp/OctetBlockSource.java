package io.boottorrent.tftp;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;

/**
 * Octet mode: the file's bytes as they are. Reads ahead in chunks of about {@link #READ_AHEAD} bytes
 * (whole blocks) at absolute offsets, so most blocks come from memory and a resend re-reads at most
 * one chunk.
 */
final class OctetBlockSource implements BlockSource {
  static final int READ_AHEAD = 256 * 1024;

  private final AsyncFile file;
  private final long length;
  private final int blksize;
  private final int chunkBlocks;
  private Buffer chunk;
  private long chunkFirst;

  OctetBlockSource(AsyncFile file, long length, int blksize) {
    this.file = file;
    this.length = length;
    this.blksize = blksize;
    this.chunkBlocks = Math.max(1, READ_AHEAD / blksize);
  }

  @Override
  public long length() {
    return length;
  }

  @Override
  public Future<Buffer> block(long index, int blockLength) {
    if (blockLength == 0) {
      return Future.succeededFuture(Buffer.buffer(0));
    }
    if (chunk != null && index >= chunkFirst && index < chunkFirst + chunkBlocks) {
      return slice(index, blockLength);
    }
    long offset = (index - 1) * blksize;
    int bytes = (int) Math.min((long) chunkBlocks * blksize, length - offset);
    return file.read(Buffer.buffer(bytes), 0, offset, bytes).compose(read -> {
      if (read.length() < Math.min(bytes, blockLength)) {
        return Future.failedFuture(new IllegalStateException(
            "file shrank during the transfer: " + read.length() + " bytes at offset " + offset + ", expected " + bytes));
      }
      chunk = read;
      chunkFirst = index;
      return slice(index, blockLength);
    });
  }

  private Future<Buffer> slice(long index, int blockLength) {
    int from = (int) ((index - chunkFirst) * blksize);
    if (from + blockLength > chunk.length()) {
      return Future.failedFuture(new IllegalStateException("file shrank during the transfer"));
    }
    // a view of the chunk, not a copy: the caller copies it into the packet at once
    return Future.succeededFuture(chunk.slice(from, from + blockLength));
  }

  @Override
  public Future<Void> close() {
    return file.close();
  }
}
