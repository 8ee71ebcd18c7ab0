package io.boottorrent.tftp;

import static io.boottorrent.testsupport.HostileInput.mutations;
import static io.boottorrent.testsupport.HostileInput.oneOf;
import static io.boottorrent.testsupport.HostileInput.property;
import static io.boottorrent.testsupport.HostileInput.tokens;
import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.core.PathRule;
import io.boottorrent.testsupport.Gate;
import io.boottorrent.testsupport.HostileInput;
import io.boottorrent.testsupport.PathVariants;
import io.boottorrent.tftp.protocol.ErrorCode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generated names against the one path rule on a real file tree (the {@link PathVariants} lab: links
 * in and out, a loop, someone else's hard link, the secret beside the root): whatever the name, taken
 * raw (TFTP, import) or decoded once first (HTTP), the answer is a file inside the root — never one of
 * the files outside it — or a refusal (FILE_NOT_FOUND / ACCESS_VIOLATION) whose reason names no path.
 * The table's variants are the seeds the mutations start from.
 */
class PathRuleHostileInputTest {
  @TempDir Path dir;
  private final java.util.concurrent.atomic.AtomicLong served = new java.util.concurrent.atomic.AtomicLong();

  @Test
  void noNameReachesAFileOutsideTheRoot() throws Exception {
    Gate.requireRoot("the lab's hard link needs a file of another owner (chown)");
    PathVariants.Lab lab = PathVariants.lab(dir, "tftp", "inside\n".getBytes(StandardCharsets.US_ASCII));
    FileResolver resolver = new FileResolver(lab.root(), List.of());
    Path root = lab.root().toRealPath();
    List<Path> outside = List.of(dir.resolve("secret"), dir.resolve("outdir/secret"), dir.resolve("foreign"));
    String parent = lab.parent();
    List<String> pieces = List.of("..", ".", "...", "/", "//", "%2e", "%2E", "%2f", "%2F", "%25", "%5c", "%00", "%",
        "%c0%ae", "\\", "\0", ":", "C:", "~", " ", "é", "\u0001", PathVariants.FILE, "sub", "y.bin", "link-in",
        "link-out", "dir-out", "secret", "loop", "hard-out", "hard-own", "outdir", "foreign", "tftp", parent);
    List<String> seeds = new ArrayList<>();
    PathVariants.ALL.forEach(v -> seeds.add(v.request(PathVariants.FILE, parent)));
    long cases = property("path rule", oneOf(tokens(pieces, 12), mutations(seeds, 400, true)))
        .tries(3000)
        .show(HostileInput::quoted)
        .check(name -> {
          answer(resolver, name, root, outside);
          String decoded;
          try {
            decoded = PathRule.decodeOnce(name);
          } catch (PathRule.Refused e) {
            assertThat(e.verdict()).isEqualTo(PathRule.Verdict.BAD_NAME);
            return;
          }
          answer(resolver, decoded, root, outside);
        });
    assertThat(cases).isGreaterThanOrEqualTo(3000);
    // not vacuous: the generator reaches files (boot.bin, link-in, sub/y.bin, ./x...) as well as refusals
    assertThat(served.get()).as("names served").isPositive();
    System.out.printf("path rule: %d of %d answers served a file inside the root%n", served.get(), 2 * cases);
  }

  private void answer(FileResolver resolver, String name, Path root, List<Path> outside) throws Exception {
    try {
      FileResolver.Resolved found = resolver.resolve(name);
      served.incrementAndGet();
      assertThat(found.file()).startsWith(root);
      for (Path secret : outside) {
        assertThat(Files.isSameFile(found.file(), secret)).as("served %s", secret).isFalse();
      }
    } catch (Refusal e) {
      assertThat(e.code()).isIn(ErrorCode.FILE_NOT_FOUND, ErrorCode.ACCESS_VIOLATION);
      assertThat(e.getMessage()).isNotBlank().doesNotContain(dir.toString());
    }
  }
}
