package io.boottorrent.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.testsupport.PathVariants;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * docs/SECURITY.md's variants table ("Paths: one rule for every file served or imported") is the one
 * {@link PathVariants} renders: the list the path tests (catalog and TFTP {@code PathTraversalTest})
 * drive against the real servers. Change the list and paste the rendered table (printed on failure).
 */
class PathTableDocTest {
  private static final String BEGIN = "<!-- path-variants:begin (generated from PathVariants; PathTableDocTest) -->\n";
  private static final String END = "<!-- path-variants:end -->";

  @Test
  void securityMdShowsExactlyTheVariantsTheTestsTry() throws Exception {
    Path doc = repoRoot().resolve("docs/SECURITY.md");
    String text = Files.readString(doc);
    int begin = text.indexOf(BEGIN);
    int end = text.indexOf(END);
    assertThat(begin).as("%s has the marker %s", doc, BEGIN.trim()).isNotNegative();
    assertThat(end).as("%s has the marker %s", doc, END).isGreaterThan(begin);
    assertThat(text.substring(begin + BEGIN.length(), end))
        .as("the table in docs/SECURITY.md; it should read:%n%s", PathVariants.markdownTable())
        .isEqualTo(PathVariants.markdownTable());
  }

  private static Path repoRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("docs/SECURITY.md"))) {
        return p;
      }
    }
    throw new AssertionError("no docs/SECURITY.md above " + Path.of("").toAbsolutePath());
  }
}
