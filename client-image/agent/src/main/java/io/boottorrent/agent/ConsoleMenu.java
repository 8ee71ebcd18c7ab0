package io.boottorrent.agent;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Shows a {@link MenuModel} on a console and drives it with a one-second timer and the console's
 * keys. Key bytes are read on a daemon thread (reading a console blocks) and handed to the event loop.
 */
public final class ConsoleMenu {
  private final Vertx vertx;
  private final InputStream in;
  private final PrintStream out;

  public ConsoleMenu(Vertx vertx, InputStream in, PrintStream out) {
    this.vertx = vertx;
    this.in = in;
    this.out = out;
  }

  /** Completes with the chosen image name. {@code in} null: no keyboard, the countdown decides. */
  public Future<String> show(MenuModel initial) {
    Promise<String> chosen = Promise.promise();
    AtomicReference<MenuModel> state = new AtomicReference<>(initial);
    out.print(initial.render());
    out.flush();
    if (initial.done()) {
      return Future.succeededFuture(initial.chosen().orElseThrow());
    }
    var context = vertx.getOrCreateContext();
    long timer = vertx.setPeriodic(1000, id -> update(state, MenuModel::tick, chosen));
    chosen.future().onComplete(x -> vertx.cancelTimer(timer));
    if (in != null) {
      Thread reader = new Thread(() -> {
        KeyDecoder decoder = new KeyDecoder();
        try {
          int b;
          while (!chosen.future().isComplete() && (b = in.read()) >= 0) {
            KeyDecoder.Input input = decoder.feed(b);
            if (input instanceof KeyDecoder.KeyInput key) {
              context.runOnContext(v -> update(state, m -> m.press(key.key()), chosen));
            } else if (input instanceof KeyDecoder.Digit digit) {
              context.runOnContext(v -> update(state, m -> m.digit(digit.value()), chosen));
            }
          }
        } catch (IOException e) {
          // console gone: the countdown still decides
        }
      }, "boottorrent-console-keys");
      reader.setDaemon(true);
      reader.start();
    }
    return chosen.future();
  }

  private void update(AtomicReference<MenuModel> state, java.util.function.UnaryOperator<MenuModel> step,
      Promise<String> chosen) {
    if (chosen.future().isComplete()) {
      return;
    }
    MenuModel before = state.get();
    MenuModel after = step.apply(before);
    state.set(after);
    if (!after.equals(before)) {
      out.print(after.render());
      out.flush();
    }
    after.chosen().ifPresent(chosen::tryComplete);
  }
}
