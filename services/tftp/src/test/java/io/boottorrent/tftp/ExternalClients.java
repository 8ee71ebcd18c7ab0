package io.boottorrent.tftp;

import io.boottorrent.testsupport.Gate;
import io.boottorrent.testsupport.Proc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;

/**
 * The real TFTP clients (tftp-hpa, atftp, curl), run through the shared {@link Proc}; a missing one
 * skips the test through {@link Gate} (or fails it where CI requires every test to run).
 */
final class ExternalClients {
  static final String TFTP_HPA = "tftp";
  static final String ATFTP = "atftp";
  static final String CURL = "curl";

  private ExternalClients() {}

  /** The client's path, or the test is skipped with the package to install. */
  static String require(String binary, String debianPackage) {
    return Gate.requireCommand(binary, debianPackage).toString();
  }

  /** Runs {@code command} in {@code dir} to its end; a client still running after the timeout fails the test. */
  static Proc.Result run(List<String> command, Path dir, int timeoutSeconds) throws IOException, InterruptedException {
    return start(command, dir).finish(Duration.ofSeconds(timeoutSeconds));
  }

  /** Starts {@code command} in {@code dir} without waiting (to run many clients at once). */
  static Proc.Running start(List<String> command, Path dir) throws IOException {
    return Proc.command(command).dir(dir).start();
  }

  /** A file of {@code size} pseudo-random bytes (fixed seed: every run serves the same bytes). */
  static Path randomFile(Path dir, String name, int size, long seed) throws IOException {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    Files.createDirectories(dir);
    return Files.write(dir.resolve(name), bytes);
  }
}
