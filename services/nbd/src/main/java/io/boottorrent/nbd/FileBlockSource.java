package io.boottorrent.nbd;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;

/** A read-only file as a {@link BlockSource} (a fully downloaded image; tests). */
public final class FileBlockSource implements BlockSource {
  private final AsyncFile file;
  private final long size;

  private FileBlockSource(AsyncFile file, long size) {
    this.file = file;
    this.size = size;
  }

  /** Opens {@code path} read-only; the size is taken once, at open (an image does not grow). */
  public static Future<FileBlockSource> open(Vertx vertx, String path) {
    return vertx.fileSystem().props(path).compose(props -> {
      if (!props.isRegularFile()) {
        return Future.failedFuture("not a regular file: " + path);
      }
      return vertx.fileSystem().open(path, new OpenOptions().setRead(true).setWrite(false).setCreate(false))
          .map(f -> new FileBlockSource(f, props.size()));
    });
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public Future<Buffer> read(long offset, int length) {
    // AsyncFile reads positionally off the event loop (an AsynchronousFileChannel), each read independent
    return file.read(Buffer.buffer(length), 0, offset, length).compose(b -> b.length() == length
        ? Future.succeededFuture(b)
        : Future.failedFuture("short read at " + offset + ": " + b.length() + " of " + length + " bytes"));
  }

  public Future<Void> close() {
    return file.close();
  }
}
