package io.boottorrent.server;

import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;

/** The worker pools a verticle keeps for its blocking disk I/O. */
public final class Workers {
  private Workers() {
  }

  /**
   * Closes {@code resource} (if any) on {@code io}, since closing it writes to disk, and then closes
   * {@code io} whether that worked or not; the future fails with the resource's failure.
   */
  public static Future<Void> closeOn(WorkerExecutor io, AutoCloseable resource) {
    Future<Void> closed = resource == null ? Future.succeededFuture() : io.executeBlocking(() -> {
      resource.close();
      return null;
    });
    return closed.eventually(io::close);
  }
}
