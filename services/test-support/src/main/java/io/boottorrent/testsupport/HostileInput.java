package io.boottorrent.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;

/**
 * Property-based checks of the pure codecs against hostile input (docs/SECURITY.md, "Hostile input"):
 * for generated inputs, a decoder returns or throws only its own error type, allocates no more than
 * the input justifies, and finishes in bounded time.
 *
 * <p>A seeded {@link Random} drives the generators, so every failure names the seed and the input
 * that reproduce it; add that input to the codec's corpus ({@code src/test/resources/corpus/<codec>/}),
 * which {@link #corpus} replays in every run. Case counts: each property's own default in
 * {@code make test}; {@code -Dboottorrent.fuzz.seconds=N} runs each property for N seconds instead
 * (at least its default count), {@code -Dboottorrent.fuzz.seed=S} fixes the seed ({@code make fuzz}).
 * Each property prints one line: its name, the cases run, the time taken and the seed.
 *
 * <p>Not jqwik: from 1.10 its maintainer asks that it not be used by AI coding agents, and these
 * tests were written by one. No shrinking: a failing input is reported as generated.
 */
public final class HostileInput {
  public static final String SECONDS = "boottorrent.fuzz.seconds";
  public static final String SEED = "boottorrent.fuzz.seed";
  /** One decode of a few KB takes microseconds; the slack is for a busy machine and a GC pause. */
  public static final long CASE_TIMEOUT_MILLIS = 5_000;

  private HostileInput() {}

  /** What a property checks for one input; anything it throws fails the property. */
  @FunctionalInterface
  public interface Check<T> {
    void check(T input) throws Exception;
  }

  /** One generated input from the random source. */
  @FunctionalInterface
  public interface Gen<T> {
    T next(Random random);
  }

  /** What a decoder does with one input; its own error type is declared by {@link #onlyThrows}. */
  @FunctionalInterface
  public interface Decode<T> {
    Object decode(T input) throws Exception;
  }

  /**
   * Runs {@code decode} and passes if it returns or throws {@code own} (or a subtype); anything else
   * (NullPointerException, IndexOutOfBounds, NegativeArraySize, OutOfMemoryError, an
   * IllegalArgumentException from the JDK...) fails with the input shown.
   */
  public static <T> Check<T> onlyThrows(Class<? extends Throwable> own, Decode<T> decode) {
    return input -> {
      try {
        decode.decode(input);
      } catch (Throwable e) {
        if (!own.isInstance(e)) {
          throw new AssertionError("escaped " + own.getSimpleName() + ": " + e, e);
        }
        if (e.getMessage() == null || e.getMessage().isBlank()) {
          throw new AssertionError(own.getSimpleName() + " without a message", e);
        }
      }
    };
  }

  /** A property over generated inputs: name it, then {@link Property#check} it. */
  public static <T> Property<T> property(String name, Gen<T> gen) {
    return new Property<>(name, gen);
  }

  public static final class Property<T> {
    private final String name;
    private final Gen<T> gen;
    private int tries = 1000;
    private Function<T, String> show = String::valueOf;
    private ToLongFunction<T> allocationBudget;

    private Property(String name, Gen<T> gen) {
      this.name = name;
      this.gen = gen;
    }

    /** Cases in {@code make test} (and the least under {@code make fuzz}). */
    public Property<T> tries(int tries) {
      this.tries = tries;
      return this;
    }

    /** How a failing input is written in the failure (hex for bytes, quoted for text). */
    public Property<T> show(Function<T, String> show) {
      this.show = show;
      return this;
    }

    /**
     * Fails a case whose check allocates more heap than {@code budget(input)} bytes (measured per
     * thread: com.sun.management.ThreadMXBean#getThreadAllocatedBytes), e.g. a length field used to
     * size an array before it is checked against the input.
     */
    public Property<T> allocationBudget(ToLongFunction<T> budget) {
      this.allocationBudget = budget;
      return this;
    }

    /** Runs the property; returns the number of cases run. */
    public long check(Check<T> check) {
      long seed = Long.getLong(SEED, new Random().nextLong());
      long seconds = Long.getLong(SECONDS, 0);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      Random random = new Random(seed);
      ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "hostile-input " + name);
        t.setDaemon(true);
        return t;
      });
      long start = System.nanoTime();
      long cases = 0;
      try {
        while (cases < tries || System.nanoTime() < deadline) {
          T input = gen.next(random);
          cases++;
          runCase(worker, input, check, "seed " + seed + ", case " + cases);
        }
      } finally {
        worker.shutdownNow();
      }
      System.out.printf("hostile-input %s: %d cases in %.1f s (seed %d)%n", name, cases,
          (System.nanoTime() - start) / 1e9, seed);
      return cases;
    }

    /** Runs one input (a corpus entry): the same checks, the same limits. */
    public void checkOne(T input, Check<T> check, String label) {
      ExecutorService worker = Executors.newSingleThreadExecutor();
      try {
        runCase(worker, input, check, label);
      } finally {
        worker.shutdownNow();
      }
    }

    private void runCase(ExecutorService worker, T input, Check<T> check, String where) {
      Future<Long> future = worker.submit(() -> {
        long before = allocatedBytes();
        check.check(input);
        long allocated = allocatedBytes() - before;
        if (allocationBudget != null && allocated > allocationBudget.applyAsLong(input)) {
          // Over budget: once more, since the first use of a class loads and initializes it on this
          // thread's heap; an input that really costs that much costs it again.
          before = allocatedBytes();
          check.check(input);
          allocated = allocatedBytes() - before;
        }
        return allocated;
      });
      try {
        long allocated = future.get(CASE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        if (allocationBudget != null && allocated > allocationBudget.applyAsLong(input)) {
          Assertions.fail(name + " (" + where + "): allocated " + allocated + " bytes, more than the "
              + allocationBudget.applyAsLong(input) + " this input justifies; input: " + shown(input));
        }
      } catch (TimeoutException e) {
        future.cancel(true);
        Assertions.fail(name + " (" + where + "): no answer within " + CASE_TIMEOUT_MILLIS + " ms; input: "
            + shown(input));
      } catch (ExecutionException e) {
        throw new AssertionError(name + " (" + where + "): " + e.getCause().getMessage() + "; input: "
            + shown(input), e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }

    private String shown(T input) {
      String s = show.apply(input);
      return s.length() <= 4096 ? s : s.substring(0, 4096) + "... (" + s.length() + " chars)";
    }
  }

  private static long allocatedBytes() {
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    return threads.getThreadAllocatedBytes(Thread.currentThread().getId());
  }

  // ------------------------------------------------------------------------------ generators

  /** Up to {@code maxLength} random bytes; short lengths are likelier (most bugs sit near the edges). */
  public static Gen<byte[]> bytes(int maxLength) {
    return random -> {
      byte[] out = new byte[skewedLength(random, maxLength)];
      random.nextBytes(out);
      return out;
    };
  }

  /**
   * Mutations of the seeds (real captures, earlier finds): bit flips, bytes set to boundary
   * values, insertions, deletions, truncation, duplicated and spliced slices; a few per input.
   */
  public static Gen<byte[]> mutations(List<byte[]> seeds, int maxLength) {
    if (seeds.isEmpty()) {
      throw new IllegalArgumentException("no seeds to mutate");
    }
    return random -> {
      byte[] b = seeds.get(random.nextInt(seeds.size())).clone();
      int rounds = 1 + random.nextInt(random.nextBoolean() ? 2 : 8);
      for (int r = 0; r < rounds; r++) {
        b = mutate(random, b, seeds, maxLength);
      }
      return b;
    };
  }

  private static final byte[] BOUNDARY = {0, 1, 2, (byte) 0x7f, (byte) 0x80, (byte) 0xfe, (byte) 0xff, '0', '9',
      ':', 'e', 'i', 'l', 'd', '-'};

  private static byte[] mutate(Random random, byte[] b, List<byte[]> seeds, int maxLength) {
    int n = b.length;
    switch (random.nextInt(8)) {
      case 0 -> {
        if (n > 0) {
          b[random.nextInt(n)] ^= (byte) (1 << random.nextInt(8));
        }
      }
      case 1 -> {
        if (n > 0) {
          b[random.nextInt(n)] = BOUNDARY[random.nextInt(BOUNDARY.length)];
        }
      }
      case 2 -> {
        if (n > 0) {
          b[random.nextInt(n)] = (byte) random.nextInt(256);
        }
      }
      case 3 -> { // insert random bytes
        int at = random.nextInt(n + 1);
        byte[] ins = new byte[1 + random.nextInt(8)];
        random.nextBytes(ins);
        b = splice(b, at, at, ins);
      }
      case 4 -> { // delete a slice
        if (n > 0) {
          int at = random.nextInt(n);
          int len = 1 + random.nextInt(Math.min(16, n - at));
          b = splice(b, at, at + len, new byte[0]);
        }
      }
      case 5 -> { // truncate
        b = java.util.Arrays.copyOf(b, random.nextInt(n + 1));
      }
      case 6 -> { // duplicate a slice
        if (n > 0) {
          int from = random.nextInt(n);
          int len = 1 + random.nextInt(Math.min(64, n - from));
          int at = random.nextInt(n + 1);
          b = splice(b, at, at, java.util.Arrays.copyOfRange(b, from, from + len));
        }
      }
      default -> { // splice in a slice of another seed
        byte[] other = seeds.get(random.nextInt(seeds.size()));
        if (other.length > 0) {
          int from = random.nextInt(other.length);
          int len = 1 + random.nextInt(Math.min(64, other.length - from));
          int at = random.nextInt(n + 1);
          int end = Math.min(n, at + random.nextInt(len + 1));
          b = splice(b, at, end, java.util.Arrays.copyOfRange(other, from, from + len));
        }
      }
    }
    return b.length <= maxLength ? b : java.util.Arrays.copyOf(b, maxLength);
  }

  private static byte[] splice(byte[] b, int from, int to, byte[] insert) {
    byte[] out = new byte[b.length - (to - from) + insert.length];
    System.arraycopy(b, 0, out, 0, from);
    System.arraycopy(insert, 0, out, from, insert.length);
    System.arraycopy(b, to, out, from + insert.length, b.length - to);
    return out;
  }

  /** One of the generators, chosen uniformly for each input. */
  @SafeVarargs
  public static <T> Gen<T> oneOf(Gen<T>... gens) {
    return random -> gens[random.nextInt(gens.length)].next(random);
  }

  /** Up to {@code maxLength} characters drawn from {@code alphabet}. */
  public static Gen<String> strings(String alphabet, int maxLength) {
    return random -> {
      int len = skewedLength(random, maxLength);
      StringBuilder out = new StringBuilder(len);
      for (int i = 0; i < len; i++) {
        out.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      return out.toString();
    };
  }

  /** Concatenations of up to {@code maxParts} tokens (the grammar's pieces, good and bad). */
  public static Gen<String> tokens(List<String> tokens, int maxParts) {
    return random -> {
      int parts = random.nextInt(maxParts + 1);
      StringBuilder out = new StringBuilder();
      for (int i = 0; i < parts; i++) {
        out.append(tokens.get(random.nextInt(tokens.size())));
      }
      return out.toString();
    };
  }

  /** Strings mutated as bytes (ISO-8859-1, one char per byte, as an HTTP request line is read). */
  public static Gen<String> mutations(List<String> seeds, int maxLength, boolean latin1) {
    List<byte[]> raw = seeds.stream().map(s -> s.getBytes(StandardCharsets.ISO_8859_1)).toList();
    Gen<byte[]> gen = mutations(raw, maxLength);
    return random -> new String(gen.next(random), latin1 ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
  }

  private static int skewedLength(Random random, int maxLength) {
    return switch (random.nextInt(4)) {
      case 0 -> random.nextInt(Math.min(maxLength, 8) + 1);
      case 1 -> random.nextInt(Math.min(maxLength, 64) + 1);
      case 2 -> random.nextInt(Math.min(maxLength, 512) + 1);
      default -> random.nextInt(maxLength + 1);
    };
  }

  // -------------------------------------------------------------------------------- corpus

  /** One corpus file: its name and bytes. */
  public record Entry(String name, byte[] bytes) {
    public String text() {
      return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /**
   * Every file (but README.md) under a classpath folder such as {@code /corpus/dhcp}
   * (src/test/resources/corpus/dhcp), sorted by name; a missing or empty folder is an error (the
   * corpus is part of the test).
   */
  public static List<Entry> corpus(Class<?> anchor, String folder) {
    URL url = anchor.getResource(folder);
    if (url == null) {
      throw new IllegalStateException("no corpus folder " + folder + " on the test classpath");
    }
    List<Entry> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(Path.of(url.toURI()))) {
      for (Path p : files.sorted().toList()) {
        if (Files.isRegularFile(p) && !p.getFileName().toString().equals("README.md")) {
          out.add(new Entry(p.getFileName().toString(), Files.readAllBytes(p)));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    if (out.isEmpty()) {
      throw new IllegalStateException("corpus " + folder + " is empty");
    }
    return out;
  }

  public static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  /** A Java string literal of {@code s}, non-printable characters escaped. */
  public static String quoted(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
        out.append(c);
      } else {
        out.append(String.format("\\u%04x", (int) c));
      }
    }
    return out.append('"').toString();
  }
}
