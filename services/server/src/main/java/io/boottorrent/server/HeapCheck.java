package io.boottorrent.server;

import com.sun.management.GarbageCollectorMXBean;
import com.sun.management.GcInfo;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's memory as /health judges it: the heap in use after the last garbage collection (what
 * was still live then; the heap in use at any other moment includes garbage), and whether an
 * OutOfMemoryError was thrown anywhere in this JVM. Process-wide, so static.
 */
final class HeapCheck {
  private static final Logger LOG = LoggerFactory.getLogger(HeapCheck.class);
  private static final AtomicBoolean WATCHING = new AtomicBoolean();
  private static volatile String outOfMemory;

  private HeapCheck() {}

  /** Heap used after the last collection of any collector; -1 before the first. */
  static long usedAfterLastGc() {
    Set<String> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(p -> p.getType() == MemoryType.HEAP).map(MemoryPoolMXBean::getName).collect(Collectors.toSet());
    GcInfo latest = null;
    for (java.lang.management.GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc instanceof GarbageCollectorMXBean sun) {
        GcInfo info = sun.getLastGcInfo();
        if (info != null && (latest == null || info.getEndTime() > latest.getEndTime())) {
          latest = info;
        }
      }
    }
    if (latest == null) {
      return -1;
    }
    long used = 0;
    for (Map.Entry<String, MemoryUsage> pool : latest.getMemoryUsageAfterGc().entrySet()) {
      if (heapPools.contains(pool.getKey())) {
        used += pool.getValue().getUsed();
      }
    }
    return used;
  }

  static long maxHeap() {
    return Runtime.getRuntime().maxMemory();
  }

  /** The first OutOfMemoryError seen (thread and message), or null. */
  static String outOfMemory() {
    return outOfMemory;
  }

  /** Records {@code failure} if it is (or was caused by) an OutOfMemoryError. */
  static void saw(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof OutOfMemoryError && outOfMemory == null) {
        outOfMemory = "OutOfMemoryError on " + Thread.currentThread().getName() + ": " + t.getMessage();
        return;
      }
    }
  }

  /**
   * Watches the JVM's uncaught exceptions for OutOfMemoryErrors, once per process (before the handler
   * that was there, which still runs). Handlers Vert.x catches are watched by {@link HealthServer}.
   */
  static void watchUncaught() {
    if (!WATCHING.compareAndSet(false, true)) {
      return;
    }
    Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
    Thread.setDefaultUncaughtExceptionHandler((thread, e) -> {
      saw(e);
      if (previous != null) {
        previous.uncaughtException(thread, e);
      } else {
        LOG.error("uncaught exception on {}", thread.getName(), e);
      }
    });
  }
}
