package io.boottorrent.server;

import io.vertx.core.Vertx;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A JVM for HealthServerTest (run with a small -Xmx): a health server on a free port, then commands on
 * stdin: {@code fill} keeps arrays until the heap is nearly full of live data, {@code free} lets them
 * go, {@code oom} asks one event loop for an array larger than the heap. Ends when stdin closes.
 */
public final class HealthChild {
  private HealthChild() {}

  public static void main(String[] args) throws Exception {
    Vertx vertx = Vertx.vertx();
    HealthServer health = new HealthServer(vertx);
    health.listen(new HealthOptions(0, "127.0.0.1", 90, 100, 1000)).await(30, TimeUnit.SECONDS);
    System.out.println("health port " + health.actualPort());
    List<byte[]> kept = new ArrayList<>();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      switch (line.trim()) {
        case "fill" -> {
          long max = Runtime.getRuntime().maxMemory();
          System.gc();
          long base = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
          byte[] reserve = new byte[2 << 20]; // freed if the heap runs out first, to go on answering
          long held = 0;
          try {
            // 256 KiB arrays: below G1's humongous size for a small heap's regions
            while (base + held < max * 95 / 100) {
              kept.add(new byte[256 * 1024]);
              held += 256 * 1024;
            }
          } catch (OutOfMemoryError e) {
            reserve = null;
            kept.remove(kept.size() - 1);
          }
          java.lang.ref.Reference.reachabilityFence(reserve);
          System.gc();
          System.out.println("filled " + held / 1024 + " KiB beside " + base / 1024 + " KiB of " + max / 1024 + " KiB");
        }
        case "free" -> {
          kept.clear();
          System.gc();
          System.out.println("freed");
        }
        case "oom" -> vertx.runOnContext(v -> {
          byte[] tooLarge = new byte[(int) Math.min(Integer.MAX_VALUE - 16, Runtime.getRuntime().maxMemory() * 2)];
          System.out.println("allocated " + tooLarge.length);
        });
        default -> System.out.println("unknown command " + line);
      }
    }
    vertx.close().await(10, TimeUnit.SECONDS);
  }
}
