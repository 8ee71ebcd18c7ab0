package io.boottorrent.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.agent.AgentResult;
import io.boottorrent.agent.Verifier;
import io.boottorrent.proto.ImageManifest;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's time savers around the download, on loopback with the real catalog, tracker, seeder and
 * telemetry: the menu's default image downloads while the menu is shown (agent.prefetch), another
 * choice drops it; and an exec (or qemu) image is launched at once and seeded for as long as it runs
 * (agent.seedWhileRunning), so a machine that arrives later gets it from this one.
 */
class PrefetchAndSeedWhileRunningTest {
  @TempDir Path dir;

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void theDefaultDownloadsDuringTheMenuAnotherChoiceDropsItAndARunningExecImageKeepsSeeding() throws Exception {
    Path stop = dir.resolve("stop-tool");
    try (Stack stack = new Stack(dir, 0, false, c -> c.getJsonObject("catalog").put("defaultMenuTimeoutSeconds", 4))) {
      try {
        run(stack, stop);
      } finally {
        // the exec image's OS runs until this file exists; the stack closes only after it exited
        Files.deleteIfExists(stop);
        Files.createFile(stop);
      }
    }
  }

  private void run(Stack stack, Path stop) throws Exception {
    ImageManifest alpha = stack.addImage("alpha", 8 << 20);
    ImageManifest beta = stack.addImage("beta", 4 << 20);
    ImageManifest tool = stack.addExecImage("tool", stop, 6 << 20);

    // GIVEN a menu whose default is alpha (the first image), and a user who picks beta: the digit
    // highlights beta (and stops the countdown), Enter comes once alpha's prefetch has started
    String mac1 = "02:00:00:00:00:01";
    List<String> menu = new JsonObject(stack.get("/api/v1/boot/" + mac1)).getJsonArray("menu").stream()
        .map(m -> ((JsonObject) m).getString("name")).toList();
    assertThat(menu.get(0)).isEqualTo("alpha");
    Keys keys = new Keys();
    keys.type("" + (menu.indexOf("beta") + 1));
    Future<AgentResult> chooser = stack.agent(1, new JsonObject().put("interactive", true).put("seedSeconds", 0),
        keys, quiet());
    awaitEvent(stack, mac1, e -> stage(e, "DOWNLOAD_STARTED") && "alpha".equals(e.getString("image")));
    keys.type("\n");
    AgentResult chose = chooser.await();

    // THEN beta was downloaded and verified, and the prefetched alpha is gone from the work dir
    assertThat(chose.image()).isEqualTo("beta");
    assertThat(Verifier.verify(beta, chose.imageDir())).isEmpty();
    assertThat(dir.resolve("agent-1/alpha/initrd")).doesNotExist();
    List<JsonObject> one = events(stack, mac1);
    assertThat(one.stream().filter(e -> stage(e, "DOWNLOAD_STARTED")).map(e -> e.getString("image")))
        .containsExactly("alpha", "beta");
    assertThat(indexOf(one, e -> stage(e, "DOWNLOAD_STARTED") && "alpha".equals(e.getString("image"))))
        .isLessThan(indexOf(one, e -> stage(e, "IMAGE_CHOSEN")));

    // AND a machine that takes the default after the 4 s countdown has been downloading it meanwhile
    String mac2 = "02:00:00:00:00:02";
    AgentResult waited = stack.agent(2, new JsonObject().put("seedSeconds", 0)).await();
    assertThat(waited.image()).isEqualTo("alpha");
    assertThat(Verifier.verify(alpha, waited.imageDir())).isEmpty();
    List<JsonObject> two = events(stack, mac2);
    JsonObject started = two.stream().filter(e -> stage(e, "DOWNLOAD_STARTED")).findFirst().orElseThrow();
    assertThat(started.getString("message")).contains("prefetched while the menu is shown");
    assertThat(time(started)).isLessThan(time(two.get(indexOf(two, e -> stage(e, "IMAGE_CHOSEN")))));
    assertThat(two.stream().filter(e -> stage(e, "DOWNLOAD_STARTED"))).hasSize(1);

    // GIVEN an exec image launched by machine 3: no seeding stage before it runs
    String mac3 = "02:00:00:00:00:03";
    Future<AgentResult> runner = stack.agent(3, new JsonObject().put("image", "tool").put("launcher", "exec")
        .put("seedSeconds", 600));
    awaitEvent(stack, mac3, e -> stage(e, "LAUNCHING"));
    assertThat(events(stack, mac3).stream().filter(e -> stage(e, "SEEDING_DONE"))).isEmpty();
    assertThat(runner.isComplete()).isFalse();
    // WHEN the seeder is gone and machine 4 boots the same image
    stack.stopSeeder();
    AgentResult late = stack.agent(4, new JsonObject().put("image", "tool").put("seedSeconds", 0)
        .put("webSeedFallbackSeconds", 600)).await();
    // THEN machine 4 got every byte from machine 3, whose OS is still running
    assertThat(Verifier.verify(tool, late.imageDir())).isEmpty();
    assertThat(late.bytesFromSwarm()).isEqualTo(tool.getTotalSize());
    assertThat(late.bytesFromWebSeed()).isZero();
    assertThat(runner.isComplete()).isFalse();
    // AND when that OS exits, machine 3's boot ends, its seeding reported after the launch
    Files.createFile(stop);
    AgentResult ran = runner.await();
    assertThat(ran.exitCode()).isZero();
    assertThat(ran.bytesUploaded()).isGreaterThanOrEqualTo(tool.getTotalSize());
    List<JsonObject> three = awaitEvent(stack, mac3, e -> stage(e, "SEEDING_DONE"));
    JsonObject done = three.get(indexOf(three, e -> stage(e, "SEEDING_DONE")));
    assertThat(done.getString("message")).contains("exec exited with 0").contains("seeded while it ran");
    assertThat(indexOf(three, e -> stage(e, "LAUNCHING"))).isLessThan(indexOf(three, e -> stage(e, "SEEDING_DONE")));
  }

  /** A console whose keys the test types; reads block until then (the menu reads on a daemon thread). */
  static final class Keys extends InputStream {
    private final BlockingQueue<Integer> typed = new LinkedBlockingQueue<>();

    void type(String text) {
      text.chars().forEach(typed::add);
    }

    @Override
    public int read() {
      try {
        return typed.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return -1;
      }
    }
  }

  private static PrintStream quiet() {
    return new PrintStream(OutputStream.nullOutputStream());
  }

  private static boolean stage(JsonObject event, String stage) {
    return stage.equals(event.getString("stage"));
  }

  private static long time(JsonObject event) {
    return Long.parseLong(String.valueOf(event.getValue("timestampMs")));
  }

  private static int indexOf(List<JsonObject> events, Predicate<JsonObject> which) {
    for (int i = 0; i < events.size(); i++) {
      if (which.test(events.get(i))) {
        return i;
      }
    }
    throw new AssertionError("no such event in " + events);
  }

  /** Telemetry's events of one machine, oldest first (by the agent's timestamps). */
  private static List<JsonObject> events(Stack stack, String mac) throws Exception {
    JsonArray all = new JsonObject(stack.telemetry("/api/v1/events?limit=10000")).getJsonArray("events");
    return all.stream().map(JsonObject.class::cast).filter(e -> mac.equals(e.getString("mac")))
        .sorted(java.util.Comparator.comparingLong(PrefetchAndSeedWhileRunningTest::time)).toList();
  }

  private static List<JsonObject> awaitEvent(Stack stack, String mac, Predicate<JsonObject> which) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < until) {
      List<JsonObject> events = events(stack, mac);
      if (events.stream().anyMatch(which)) {
        return events;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no such event of " + mac + " within 90 s: " + events(stack, mac));
  }
}
