package io.boottorrent.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The lexical half of {@link PathRule} and its roots; the servers' tests drive every variant end to end. */
class PathRuleTest {
  @TempDir Path dir;

  @ParameterizedTest(name = "{0} → {1}")
  @CsvSource({"/pxelinux.0, pxelinux.0", "//a//b, a/b", "./a/./b, a/b", "a-b_c.d+e, a-b_c.d+e", "Ünïcode, Ünïcode"})
  void leadingSlashesDoubledSlashesAndDotSegmentsStayRelative(String name, String expected) throws Exception {
    assertThat(String.join("/", PathRule.segments(name))).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"..", "a/../b", "...", ".hidden", "a\\b", "C:x", "a%2e", "a\0b", "a\tb", "a\u007fb", "a/"})
  void malformedNamesAreBadNames(String name) {
    assertVerdict(() -> PathRule.segments(name), PathRule.Verdict.BAD_NAME);
  }

  @Test
  void lengthsAreBoundedBySegmentBytesAndWholeNameCharacters() throws Exception {
    assertThat(PathRule.segments("é".repeat(127))).hasSize(1); // 254 bytes
    assertVerdict(() -> PathRule.segments("é".repeat(128)), PathRule.Verdict.BAD_NAME); // 256 bytes
    assertThat(PathRule.segments("a/".repeat(511) + "a")).hasSize(512); // 1023 characters
    assertVerdict(() -> PathRule.segments("a/".repeat(512) + "a"), PathRule.Verdict.BAD_NAME);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "/", ".", "//./"})
  void namesWithoutAFileAreNotFound(String name) {
    assertVerdict(() -> PathRule.segments(name), PathRule.Verdict.NOT_FOUND);
  }

  @ParameterizedTest(name = "{0} → {1}")
  @CsvSource({"a%2fb, a/b", "%2e%2e, ..", "%252e, %2e", "%C3%A9, é", "plain, plain"})
  void decodingHappensOnceAndOnlyOnce(String raw, String decoded) throws Exception {
    assertThat(PathRule.decodeOnce(raw)).isEqualTo(decoded);
  }

  @ParameterizedTest
  @ValueSource(strings = {"%", "%2", "%zz", "%C3", "%FF"})
  void brokenEscapesAndNonUtf8AreBadNames(String raw) {
    assertVerdict(() -> PathRule.decodeOnce(raw), PathRule.Verdict.BAD_NAME);
  }

  @Test
  void aRootThatIsASymlinkServesItsFilesAndAFileRootIsALinkTargetOnly() throws Exception {
    // GIVEN a root given as a symlink to the real folder, and a single-file root elsewhere
    Path real = Files.createDirectories(dir.resolve("real"));
    Files.writeString(real.resolve("a"), "a");
    Path linkedRoot = Files.createSymbolicLink(dir.resolve("root"), real);
    Path target = Files.writeString(dir.resolve("ipxe.efi"), "efi");
    Files.writeString(dir.resolve("other.efi"), "other");
    Files.createSymbolicLink(real.resolve("ipxe.efi"), target);
    Files.createSymbolicLink(real.resolve("other.efi"), dir.resolve("other.efi"));
    PathRule rule = new PathRule(List.of(linkedRoot, target));
    // THEN files in it are served by their real path, a link to the file root too, a link elsewhere not
    assertThat(rule.find("a").file()).isEqualTo(real.resolve("a").toRealPath());
    assertThat(rule.find("ipxe.efi").file()).isEqualTo(target.toRealPath());
    assertVerdict(() -> rule.find("other.efi"), PathRule.Verdict.OUTSIDE);
    // AND the file root is no folder: no name looks anything up inside it
    assertVerdict(() -> rule.find("ipxe.efi/x"), PathRule.Verdict.NOT_FOUND);
  }

  @Test
  void aLinkTargetIsReachableThroughASymlinkOrCheckButNotByName() throws Exception {
    // GIVEN a root and a package folder (the Secure Boot chain's) that is only a link target
    Path root = Files.createDirectories(dir.resolve("root"));
    Path shim = Files.createDirectories(dir.resolve("shim"));
    Path signed = Files.writeString(shim.resolve("shimx64.efi.signed"), "shim");
    Files.createSymbolicLink(root.resolve("shimx64.efi"), signed);
    PathRule rule = new PathRule(List.of(root), List.of(shim));
    // THEN a link into it is followed and an alias checked, but its own names are not looked up
    assertThat(rule.find("shimx64.efi").file()).isEqualTo(signed.toRealPath());
    assertThat(rule.check(signed).size()).isEqualTo(4);
    assertVerdict(() -> rule.find("shimx64.efi.signed"), PathRule.Verdict.NOT_FOUND);
    assertVerdict(() -> new PathRule(List.of(root)).find("shimx64.efi"), PathRule.Verdict.OUTSIDE);
  }

  @Test
  void anAbsolutePathMustLieInARootLexicallyAndReally() throws Exception {
    Path root = Files.createDirectories(dir.resolve("import"));
    Files.writeString(root.resolve("k"), "k");
    Files.writeString(dir.resolve("secret"), "s");
    PathRule rule = new PathRule(List.of(root));
    assertThat(rule.at(root + "/k").size()).isEqualTo(1);
    assertVerdict(() -> rule.at(dir + "/secret"), PathRule.Verdict.OUTSIDE);
    assertVerdict(() -> rule.at(dir + "/nothing"), PathRule.Verdict.OUTSIDE); // what is outside stays unknown
    assertVerdict(() -> rule.at(root + "/nothing"), PathRule.Verdict.NOT_FOUND);
    assertVerdict(() -> rule.at("relative/k"), PathRule.Verdict.BAD_NAME);
  }

  @Test
  void aRefusalNamesNoServerPath() {
    PathRule rule = new PathRule(List.of(dir));
    for (String name : List.of("missing", "../x", "a\0b")) {
      try {
        rule.find(name);
      } catch (PathRule.Refused e) {
        assertThat(e.getMessage()).doesNotContain(dir.toString());
        continue;
      }
      throw new AssertionError(name + " was not refused");
    }
  }

  private interface Call {
    Object run() throws Exception;
  }

  private static void assertVerdict(Call call, PathRule.Verdict verdict) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(PathRule.Refused.class,
        e -> assertThat(e.verdict()).as(e.getMessage()).isEqualTo(verdict));
  }
}
