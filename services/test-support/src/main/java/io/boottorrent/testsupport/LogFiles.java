package io.boottorrent.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Reading what a client script or child process writes to its log file. */
public final class LogFiles {
  private LogFiles() {}

  /**
   * The last line of {@code log} that starts with {@code prefix}, waiting up to 10 s for the writer
   * to get there (the file may not exist yet); fails naming the log and its lines.
   */
  public static String lastLine(Path log, String prefix) throws Exception {
    long deadline = System.currentTimeMillis() + 10_000;
    while (true) {
      List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
      Optional<String> last = lines.stream().filter(l -> l.startsWith(prefix)).reduce((a, b) -> b);
      if (last.isPresent()) {
        return last.get();
      }
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("no '" + prefix + "' in " + log + ": " + lines);
      }
      Thread.sleep(50);
    }
  }
}
