package io.boottorrent.tftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.tftp.protocol.ErrorCode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class FileResolverTest {
  @TempDir
  Path dir;

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "pxelinux.0            | pxelinux.0",
      "/pxelinux.0           | pxelinux.0",
      "///boot//./ipxe.efi   | boot/ipxe.efi",
      "a/b/c                 | a/b/c"})
  void aLeadingSlashAndRedundantSegmentsStayRelativeToTheRoot(String name, String expected) throws Exception {
    assertThat(String.join("/", FileResolver.segments(name.trim()))).isEqualTo(expected.trim());
  }

  @ParameterizedTest
  @ValueSource(strings = {"..", "../x", "a/../../x", "/..", "a/..", "boot\\ipxe.efi", "..\\x", "a\tb", "a\u007fb"})
  void namesThatTryToLeaveTheRootOrCarryOddBytesAreAccessViolations(String name) {
    assertThatThrownBy(() -> FileResolver.segments(name))
        .isInstanceOfSatisfying(Refusal.class, r -> assertThat(r.code()).isEqualTo(ErrorCode.ACCESS_VIOLATION));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "/", "//", "./."})
  void namesWithoutAFileAreNotFound(String name) {
    assertThatThrownBy(() -> FileResolver.segments(name))
        .isInstanceOfSatisfying(Refusal.class, r -> assertThat(r.code()).isEqualTo(ErrorCode.FILE_NOT_FOUND));
  }

  @Test
  void resolvesToTheRealFileAndItsSizeAndSaysWhereItCameFrom() throws Exception {
    Path root = Files.createDirectories(dir.resolve("root"));
    Path fallback = Files.createDirectories(dir.resolve("fallback"));
    Files.write(root.resolve("a.bin"), new byte[10]);
    Files.write(fallback.resolve("b.bin"), new byte[20]);
    FileResolver resolver = new FileResolver(root, List.of(fallback));
    assertThat(resolver.resolve("/a.bin"))
        .isEqualTo(new FileResolver.Resolved(root.resolve("a.bin").toRealPath(), 10, false));
    assertThat(resolver.resolve("b.bin"))
        .isEqualTo(new FileResolver.Resolved(fallback.resolve("b.bin").toRealPath(), 20, true));
  }

  @Test
  void aDanglingSymlinkIsNotFoundAndASymlinkOutOfTheRootIsAnAccessViolation() throws Exception {
    Path root = Files.createDirectories(dir.resolve("root"));
    Files.writeString(dir.resolve("secret"), "s");
    Files.createSymbolicLink(root.resolve("dangling"), dir.resolve("nowhere"));
    Files.createSymbolicLink(root.resolve("escape"), dir.resolve("secret"));
    FileResolver resolver = new FileResolver(root, List.of());
    assertThatThrownBy(() -> resolver.resolve("dangling"))
        .isInstanceOfSatisfying(Refusal.class, r -> assertThat(r.code()).isEqualTo(ErrorCode.FILE_NOT_FOUND));
    assertThatThrownBy(() -> resolver.resolve("escape"))
        .isInstanceOfSatisfying(Refusal.class, r -> assertThat(r.code()).isEqualTo(ErrorCode.ACCESS_VIOLATION));
  }

  @Test
  void aSecureBootAliasIsServedUnderItsNameByTheSameRuleButItsFolderIsNotSearched() throws Exception {
    // GIVEN the shim package's folder, its signed file a link within it (as Ubuntu's .signed.latest is)
    Path root = Files.createDirectories(dir.resolve("root"));
    Path shim = Files.createDirectories(dir.resolve("usr-lib-shim"));
    Path latest = Files.writeString(shim.resolve("shimx64.efi.signed.latest"), "shim");
    Path signed = Files.createSymbolicLink(shim.resolve("shimx64.efi.signed"), latest);
    Files.writeString(dir.resolve("secret"), "s");
    Path mok = Files.createSymbolicLink(shim.resolve("mmx64.efi.signed"), dir.resolve("secret"));
    FileResolver resolver = new FileResolver(root, List.of(), java.util.Map.of("shimx64.efi", signed, "mmx64.efi", mok));
    // THEN the alias is served, from its real file
    assertThat(resolver.resolve("/shimx64.efi").file()).isEqualTo(latest.toRealPath());
    // BUT an alias that is a link out of its folder is refused, and the folder's own names are not served
    assertThatThrownBy(() -> resolver.resolve("mmx64.efi"))
        .isInstanceOfSatisfying(Refusal.class, r -> assertThat(r.code()).isEqualTo(ErrorCode.ACCESS_VIOLATION));
    assertThatThrownBy(() -> resolver.resolve("shimx64.efi.signed"))
        .isInstanceOfSatisfying(Refusal.class, r -> assertThat(r.code()).isEqualTo(ErrorCode.FILE_NOT_FOUND));
    // AND an operator's file of that name in the root comes first
    Files.writeString(root.resolve("shimx64.efi"), "own");
    assertThat(resolver.resolve("shimx64.efi").file()).isEqualTo(root.resolve("shimx64.efi").toRealPath());
  }
}
