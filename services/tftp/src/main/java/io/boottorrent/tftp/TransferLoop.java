package io.boottorrent.tftp;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * An event loop that runs transfers. {@link TftpVerticle} deploys {@code tftp.transferLoops}
 * instances of it (one per core by default), each on its own event loop, and hands every accepted
 * request to the next one in turn; a transfer then lives on that loop alone (its socket, file
 * reads, timer and state machine). So concurrent transfers use every core, where with the request
 * socket's single loop one core did all the work. Undeploying the verticle undeploys the loops
 * first: their running transfers end with ERROR 0.
 */
final class TransferLoop extends VerticleBase {
  /** Running transfers; touched on this loop's context only. */
  private final Set<TransferSession> sessions = new HashSet<>();

  Context loopContext() {
    return context;
  }

  /**
   * Runs {@code task} on this loop; the returned future completes on {@code home}, the caller's
   * context, so the caller's state stays single-threaded.
   */
  <T> Future<T> run(Context home, Supplier<Future<T>> task) {
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> {
      Future<T> result;
      try {
        result = task.get();
      } catch (RuntimeException e) {
        result = Future.failedFuture(e);
      }
      result.onComplete(ar -> home.runOnContext(x -> promise.handle(ar)));
    });
    return promise.future();
  }

  /** Called on this loop when a session starts and when it ends. */
  void started(TransferSession session) {
    sessions.add(session);
  }

  void ended(TransferSession session) {
    sessions.remove(session);
  }

  @Override
  public Future<?> stop() {
    List<Future<?>> closing = new ArrayList<>();
    for (TransferSession session : List.copyOf(sessions)) {
      closing.add(session.shutdown());
    }
    return Future.join(closing);
  }
}
