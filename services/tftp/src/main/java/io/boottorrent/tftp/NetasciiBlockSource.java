package io.boottorrent.tftp;

import io.boottorrent.tftp.protocol.Netascii;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * Netascii mode: the file converted on the fly with {@link Netascii.Encoder}. The converted stream
 * cannot be entered at an offset, so blocks are produced in order and the last {@code windowsize}
 * blocks are kept for resends (a resend never goes back further than one window).
 */
final class NetasciiBlockSource implements BlockSource {
  private static final int RAW_CHUNK = 64 * 1024;

  private final AsyncFile file;
  private final long rawLength;
  private final long encodedLength;
  private final int retain;
  private final Netascii.Encoder encoder = new Netascii.Encoder();
  private final ArrayDeque<Buffer> kept = new ArrayDeque<>();
  private ByteBuffer in = ByteBuffer.allocate(0);
  private long rawPos;
  private long produced;
  private long producedBytes;

  private NetasciiBlockSource(AsyncFile file, long rawLength, long encodedLength, int windowsize) {
    this.file = file;
    this.rawLength = rawLength;
    this.encodedLength = encodedLength;
    this.retain = windowsize;
  }

  /**
   * @param measured the file's raw and converted lengths ({@link NetasciiLengths}): the converted
   *     stream is produced up to {@code measured.rawLength()} bytes of the file
   */
  static NetasciiBlockSource of(AsyncFile file, NetasciiLengths.Measured measured, int windowsize) {
    return new NetasciiBlockSource(file, measured.rawLength(), measured.encodedLength(), windowsize);
  }

  @Override
  public long length() {
    return encodedLength;
  }

  @Override
  public Future<Buffer> block(long index, int length) {
    if (index <= produced) {
      long back = produced - index;
      if (back >= kept.size()) {
        return Future.failedFuture(new IllegalStateException("block " + index + " is no longer kept"));
      }
      return Future.succeededFuture(kept.stream().skip(kept.size() - 1 - back).findFirst().orElseThrow());
    }
    if (index != produced + 1) {
      return Future.failedFuture(new IllegalStateException("netascii blocks must be read in order"));
    }
    ByteBuffer out = ByteBuffer.allocate(length);
    return fill(out).compose(v -> {
      if (out.hasRemaining()) {
        return Future.failedFuture(new IllegalStateException("file shrank during the transfer"));
      }
      producedBytes += length;
      // The lengths were measured by path, this file was opened before: if it was replaced in
      // between, its stream does not end where they say, and the client would get a truncated file.
      if (producedBytes == encodedLength && (rawPos < rawLength || in.hasRemaining() || encoder.hasPending())) {
        return Future.failedFuture(new IllegalStateException("file changed during the transfer"));
      }
      Buffer block = Buffer.buffer(out.array());
      produced = index;
      kept.addLast(block);
      if (kept.size() > retain) {
        kept.removeFirst();
      }
      return Future.succeededFuture(block);
    });
  }

  private Future<Void> fill(ByteBuffer out) {
    encoder.encode(in, out);
    if (!out.hasRemaining() || (rawPos >= rawLength && !in.hasRemaining() && !encoder.hasPending())) {
      return Future.succeededFuture();
    }
    int n = (int) Math.min(RAW_CHUNK, rawLength - rawPos);
    return file.read(Buffer.buffer(n), 0, rawPos, n).compose(read -> {
      if (read.length() == 0) {
        return Future.failedFuture(new IllegalStateException("file shrank during the transfer"));
      }
      rawPos += read.length();
      in = ByteBuffer.wrap(read.getBytes());
      return fill(out);
    });
  }

  @Override
  public Future<Void> close() {
    return file.close();
  }
}
