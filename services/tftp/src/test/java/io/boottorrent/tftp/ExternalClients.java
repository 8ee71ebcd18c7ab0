package io.boottorrent.tftp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
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
    Path log = Files.createTempFile(dir, "client", ".log");
    long start = System.nanoTime();
    Process process = new ProcessBuilder(command)
        .directory(dir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .start();
    boolean finished = process.waitFor(timeoutSeconds, TimeUnit.SECONDS);
    if (!finished) {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
    long millis = (System.nanoTime() - start) / 1_000_000;
    String output = Files.readString(log);
    assertThat(finished).as("%s finished within %d s; output:%n%s", command, timeoutSeconds, output).isTrue();
    return new Run(process.exitValue(), output, millis);
  }

  /** A file of {@code size} pseudo-random bytes (fixed seed: every run serves the same bytes). */
  static Path randomFile(Path dir, String name, int size, long seed) throws IOException {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    Files.createDirectories(dir);
    return Files.write(dir.resolve(name), bytes);
  }
}
