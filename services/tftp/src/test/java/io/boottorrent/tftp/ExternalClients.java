package io.boottorrent.tftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Runs the real TFTP clients (tftp-hpa, atftp, curl) as processes; skips tests when one is missing. */
final class ExternalClients {
  static final String TFTP_HPA = "tftp";
  static final String ATFTP = "atftp";
  static final String CURL = "curl";

  private ExternalClients() {}

  /** The binary on PATH, or the test is skipped with the package to install. */
  static String require(String binary, String debianPackage) {
    Optional<Path> found = which(binary);
    Assumptions.assumeTrue(found.isPresent(),
        () -> binary + " is not installed; skipping (apt-get install -y " + debianPackage + ")");
    return found.get().toString();
  }

  static Optional<Path> which(String binary) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String dir : path.split(File.pathSeparator)) {
      Path candidate = Path.of(dir, binary);
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** Result of one client run. */
  record Run(int exitCode, String output, long millis) {}

  /** Runs {@code command}, output (stdout + stderr) to a file under {@code dir}; kills it after the timeout. */
  static Run run(List<String> command, Path dir, int timeoutSeconds) throws IOException, InterruptedException {
    return start(command, dir).await(timeoutSeconds);
  }

  /** Starts {@code command} without waiting (to run many clients at once); output to a file under {@code dir}. */
  static Started start(List<String> command, Path dir) throws IOException {
    Path log = Files.createTempFile(dir, "client", ".log");
    long start = System.nanoTime();
    Process process = new ProcessBuilder(command)
        .directory(dir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .start();
    return new Started(command, process, log, start, process.onExit().thenApply(p -> System.nanoTime()));
  }

  /** A client process started by {@link #start}. */
  record Started(List<String> command, Process process, Path log, long startNanos,
      CompletableFuture<Long> exitNanos) {
    /** Waits for the exit (killing the process after the timeout, which fails the test). */
    Run await(int timeoutSeconds) throws IOException, InterruptedException {
      long left = TimeUnit.SECONDS.toNanos(timeoutSeconds) - (System.nanoTime() - startNanos);
      boolean finished = process.waitFor(Math.max(0, left), TimeUnit.NANOSECONDS);
      if (!finished) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
      String output = Files.readString(log);
      assertThat(finished).as("%s finished within %d s; output:%n%s", command, timeoutSeconds, output).isTrue();
      long millis = (exitNanos.join() - startNanos) / 1_000_000;
      return new Run(process.exitValue(), output, millis);
    }
  }

  /** A file of {@code size} pseudo-random bytes (fixed seed: every run serves the same bytes). */
  static Path randomFile(Path dir, String name, int size, long seed) throws IOException {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    Files.createDirectories(dir);
    return Files.write(dir.resolve(name), bytes);
  }
}
