package io.boottorrent.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The one gate for tests that need root, a network namespace, a VM or a third-party tool: without
 * what they need they skip with a message saying what is missing — unless {@code BOOTTORRENT_E2E=required}
 * (CI sets it), where the same check fails the test, so that CI cannot pass by not running it.
 */
public final class Gate {
  public static final String MODE_VARIABLE = "BOOTTORRENT_E2E";

  private Gate() {}

  /** Whether this run must not skip (CI). */
  public static boolean required() {
    return "required".equals(System.getenv(MODE_VARIABLE));
  }

  /** Skips (or, when required, fails) unless {@code condition}; {@code reason} says what is missing. */
  public static void require(boolean condition, String reason) {
    if (condition) {
      return;
    }
    if (required()) {
      Assertions.fail(MODE_VARIABLE + "=required, but " + reason);
    }
    // On the console too: Maven's summary counts skipped tests but does not say why.
    System.out.println("SKIPPED: " + reason);
    Assumptions.assumeTrue(false, "SKIPPED: " + reason);
  }

  public static boolean isRoot() {
    return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
  }

  /** Requires root; {@code why} names what needs it (network namespaces, ports 67/69, taps). */
  public static void requireRoot(String why) {
    require(isRoot(), "not root: " + why + " (run as root; CI does)");
  }

  /**
   * Requires a program on the PATH (or at an absolute path) and returns it; {@code debianPackage}
   * goes into the message ({@code make deps} installs it).
   */
  public static Path requireCommand(String command, String debianPackage) {
    Optional<Path> found = which(command);
    require(found.isPresent(), command + " not installed (apt-get install " + debianPackage + ")");
    return found.orElseThrow();
  }

  /** A program by absolute path, or looked up on the PATH (and in the sbin folders, which root's PATH has). */
  public static Optional<Path> which(String command) {
    if (command.contains("/")) {
      Path p = Path.of(command);
      return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
    }
    String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin:/usr/bin:/bin";
    for (String dir : path.split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
        return Optional.of(Path.of(dir, command));
      }
    }
    return Optional.empty();
  }
}
