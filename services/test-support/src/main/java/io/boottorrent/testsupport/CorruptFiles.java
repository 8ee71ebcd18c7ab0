package io.boottorrent.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * The ways a state file turns up corrupt at start (docs/SECURITY.md "Corrupt state files"), applied to
 * the bytes of a valid one, and the check that a file was set aside as {@code <name>.corrupt-<time>}
 * with its bytes intact. Shared by every store's corrupt-state test.
 */
public final class CorruptFiles {
  private CorruptFiles() {}

  /** One way to corrupt a file. */
  public enum Corruption {
    /** Its last byte cut off (a disk or a copy that lost the end): inside the last field of our files. */
    TRUNCATED,
    /** 512 bytes of noise (seeded, so a failure reproduces). */
    RANDOM_BYTES,
    /** A valid protobuf message of another type (a file copied over the wrong name). */
    WRONG_TYPE,
    /** Zero bytes. */
    EMPTY;

    /** The corrupt bytes, from {@code valid} and (for {@link #WRONG_TYPE}) {@code otherType}. */
    public byte[] apply(byte[] valid, byte[] otherType) {
      return switch (this) {
        case TRUNCATED -> Arrays.copyOf(valid, valid.length - 1);
        case RANDOM_BYTES -> {
          byte[] noise = new byte[512];
          new Random(0x5eed + valid.length).nextBytes(noise);
          yield noise;
        }
        case WRONG_TYPE -> otherType.clone();
        case EMPTY -> new byte[0];
      };
    }
  }

  /** The files {@code file} was set aside as (normally one). */
  public static List<Path> asideCopies(Path file) {
    try (Stream<Path> siblings = Files.list(file.getParent())) {
      String prefix = file.getFileName() + ".corrupt-";
      return siblings.filter(p -> p.getFileName().toString().startsWith(prefix)).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The one file {@code file} was set aside as, after checking its name
   * ({@code <name>.corrupt-yyyyMMddTHHmmssZ}) and that it holds exactly {@code expected}.
   */
  public static Path assertSetAsideIntact(Path file, byte[] expected) {
    List<Path> copies = asideCopies(file);
    if (copies.size() != 1) {
      throw new AssertionError("expected one set-aside copy of " + file + ", found " + copies);
    }
    Path aside = copies.get(0);
    if (!aside.getFileName().toString().matches(java.util.regex.Pattern.quote(file.getFileName().toString())
        + "\\.corrupt-\\d{8}T\\d{6}Z(-\\d+)?")) {
      throw new AssertionError("set-aside name " + aside.getFileName() + " is not <name>.corrupt-<UTC time>");
    }
    try {
      byte[] actual = Files.readAllBytes(aside);
      if (!Arrays.equals(actual, expected)) {
        throw new AssertionError(aside + " holds " + actual.length + " bytes, not the " + expected.length
            + " bytes of the corrupt file");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return aside;
  }
}
