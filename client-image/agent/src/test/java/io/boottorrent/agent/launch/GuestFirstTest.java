package io.boottorrent.agent.launch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GuestFirstTest {
  @Test
  void readsTheNiceFieldPastACommandWithSpacesAndParentheses() {
    String line = "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 5 3 0 0 20 7 3 0 100 200 300";
    assertThat(GuestFirst.niceOfStatLine(line)).isEqualTo(7);
  }

  @Test
  void renicesEveryThreadOfTheProcess() throws Exception {
    // a JVM child has many threads: each must end at the new nice, not only the main one
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
        Sleeper.class.getName()).redirectErrorStream(true).start();
    try {
      Path proc = Path.of("/proc", Long.toString(child.pid()));
      assertThat(child.getInputStream().read()).as("the child's ready byte").isEqualTo('r');
      // the child starts at this JVM's nice: 10 once a test here ran an in-process agent's launch
      int before = GuestFirst.niceOf(proc.resolve("stat"));
      String done = GuestFirst.lower(19, proc);
      if (before < 19) {
        assertThat(done).startsWith("nice " + before + " -> 19 for ").endsWith(" thread(s)");
      }
      try (Stream<Path> tasks = Files.list(proc.resolve("task"))) {
        assertThat(tasks.map(t -> t.resolve("stat")).filter(Files::exists)).allSatisfy(stat ->
            assertThat(GuestFirst.niceOf(stat)).as(stat.toString()).isEqualTo(19));
      }
      assertThat(GuestFirst.lower(10, proc)).as("never back up").isEqualTo("already at nice 19");
    } finally {
      child.destroyForcibly();
    }
  }

  @Test
  void namesTheMissingProcDirectory(@TempDir Path dir) {
    assertThatThrownBy(() -> GuestFirst.lower(10, dir)).hasMessageContaining(dir.resolve("task").toString());
    assertThatThrownBy(() -> GuestFirst.lower(20, dir)).hasMessageContaining("nice 20 is outside 1..19");
  }

  /** Prints one byte, then sleeps: a JVM with its usual threads. */
  public static final class Sleeper {
    public static void main(String[] args) throws InterruptedException {
      System.out.print('r');
      System.out.flush();
      Thread.sleep(60_000);
    }
  }
}
