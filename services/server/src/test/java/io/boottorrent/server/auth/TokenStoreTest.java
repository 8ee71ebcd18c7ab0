package io.boottorrent.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.core.DirectoryLock;
import io.boottorrent.proto.ApiToken;
import io.boottorrent.proto.Role;
import io.boottorrent.proto.TokenStoreFile;
import io.boottorrent.testsupport.CorruptFiles;
import io.boottorrent.testsupport.CorruptFiles.Corruption;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TokenStoreTest {
  @TempDir Path dir;

  private static final Clock CLOCK = Clock.fixed(Instant.parse("2025-01-02T03:04:05Z"), ZoneOffset.UTC);

  @Test
  void aCreatedTokenAuthenticatesWithItsRoleAndSurvivesAReopen() throws Exception {
    Path store = dir.resolve("catalog");
    TokenStore.Created ci;
    try (TokenStore tokens = TokenStore.open(store, new SecureRandom(), CLOCK)) {
      // WHEN an operator token is created
      ci = tokens.create("ci", Role.OPERATOR);
      // THEN its secret is prefixed, 256 bits of base64url, and authenticates as that token
      assertThat(ci.secret()).startsWith("btk_");
      assertThat(Base64.getUrlDecoder().decode(ci.secret().substring(4))).hasSize(32);
      assertThat(tokens.authenticate(ci.secret())).contains(ci.token());
      assertThat(ci.token().getCreatedMs()).isEqualTo(CLOCK.millis());
      assertThat(ci.token().getName()).isEqualTo("ci");
      assertThat(ci.token().getRole()).isEqualTo(Role.OPERATOR);
      assertThat(ci.toString()).doesNotContain(ci.secret());
    }
    // AND after a reopen (a restart) it still does
    try (TokenStore tokens = TokenStore.open(store)) {
      assertThat(tokens.authenticate(ci.secret())).contains(ci.token());
      assertThat(tokens.list()).containsExactly(ci.token());
    }
  }

  @Test
  void theFileHoldsTheSecretsHashNeverTheSecretAndOnlyItsOwnerCanReadIt() throws Exception {
    TokenStore.Created t;
    try (TokenStore tokens = TokenStore.open(dir)) {
      t = tokens.create("ops", Role.ADMIN);
    }
    byte[] file = Files.readAllBytes(dir.resolve(TokenStore.FILE));
    assertThat(new String(file, StandardCharsets.ISO_8859_1)).doesNotContain(t.secret())
        .doesNotContain(t.secret().substring(4));
    byte[] sha = MessageDigest.getInstance("SHA-256").digest(t.secret().getBytes(StandardCharsets.UTF_8));
    assertThat(TokenStoreFile.parseFrom(file).getTokens(0).getSecretSha256().toByteArray()).isEqualTo(sha);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(TokenStore.FILE))))
        .isEqualTo("rw-------");
    assertThat(dir.resolve(TokenStore.FILE + ".tmp")).doesNotExist();
  }

  @Test
  void aRevokedTokenNoLongerAuthenticatesNowAndAfterAReopen() throws Exception {
    TokenStore.Created keep;
    TokenStore.Created gone;
    try (TokenStore tokens = TokenStore.open(dir)) {
      keep = tokens.create("keep", Role.VIEWER);
      gone = tokens.create("gone", Role.OPERATOR);
      assertThat(tokens.revoke(gone.token().getId())).contains(gone.token());
      assertThat(tokens.authenticate(gone.secret())).isEmpty();
      assertThat(tokens.revoke(gone.token().getId())).isEmpty();
      assertThat(tokens.revoke("nope")).isEmpty();
    }
    try (TokenStore tokens = TokenStore.open(dir)) {
      assertThat(tokens.authenticate(gone.secret())).isEmpty();
      assertThat(tokens.list()).extracting(ApiToken::getName).containsExactly("keep");
      assertThat(tokens.authenticate(keep.secret())).isPresent();
    }
  }

  @Test
  void wrongOrForeignSecretsAuthenticateNobody() throws Exception {
    try (TokenStore tokens = TokenStore.open(dir)) {
      TokenStore.Created t = tokens.create("a", Role.ADMIN);
      assertThat(tokens.authenticate(null)).isEmpty();
      assertThat(tokens.authenticate("")).isEmpty();
      assertThat(tokens.authenticate(t.secret().substring(4))).isEmpty(); // without the prefix
      assertThat(tokens.authenticate(t.secret() + "x")).isEmpty();
      assertThat(tokens.authenticate("btk_" + "A".repeat(43))).isEmpty();
    }
  }

  @Test
  void bootstrapWritesOneAdminTokenToAnOwnerOnlyFileOnlyOnAStoreThatDidNotExist() throws Exception {
    Path file;
    try (TokenStore tokens = TokenStore.open(dir)) {
      file = tokens.bootstrap().orElseThrow();
      assertThat(file).isEqualTo(dir.resolve("admin.token"));
      String secret = Files.readString(file).trim();
      assertThat(tokens.authenticate(secret)).get().extracting(ApiToken::getRole, ApiToken::getName)
          .containsExactly(Role.ADMIN, TokenStore.BOOTSTRAP_NAME);
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
      assertThat(tokens.bootstrap()).isEmpty(); // once
      tokens.revoke(tokens.list().get(0).getId());
    }
    Files.delete(file);
    // a store whose tokens were all revoked is not bootstrapped again: that is the operator's choice
    try (TokenStore tokens = TokenStore.open(dir)) {
      assertThat(tokens.bootstrap()).isEmpty();
      assertThat(file).doesNotExist();
    }
  }

  @Test
  void aSecondStoreOnTheSameFolderIsRefusedNamingIt() throws Exception {
    try (TokenStore tokens = TokenStore.open(dir)) {
      assertThatThrownBy(() -> TokenStore.open(dir)).isInstanceOf(DirectoryLock.InUseException.class)
          .hasMessageContaining(dir.toString());
    }
  }

  @Test
  void badNamesAndRolesAreRefusedNamingTheProblem() throws Exception {
    try (TokenStore tokens = TokenStore.open(dir)) {
      assertThatThrownBy(() -> tokens.create(" ", Role.VIEWER)).hasMessage("token name is required");
      assertThatThrownBy(() -> tokens.create("x".repeat(65), Role.VIEWER))
          .hasMessageContaining("65 characters, at most 64");
      assertThatThrownBy(() -> tokens.create("a\nb", Role.VIEWER)).hasMessageContaining("printable ASCII");
      assertThatThrownBy(() -> tokens.create("a", Role.ROLE_UNSPECIFIED)).hasMessageContaining("role is required");
      assertThat(tokens.list()).isEmpty();
      assertThat(dir.resolve(TokenStore.FILE)).doesNotExist();
    }
  }

  /**
   * tokens.pb corrupt in every way: set aside whole, the store opens empty (no token it held is trusted:
   * fail closed) and, as on a first start, writes a new admin token; the next start finds nothing wrong.
   */
  @ParameterizedTest
  @EnumSource(value = Corruption.class, names = {"TRUNCATED", "RANDOM_BYTES", "WRONG_TYPE"})
  void aCorruptFileIsSetAsideAndTheStoreStartsOverFailingClosed(Corruption corruption) throws Exception {
    TokenStore.Created old;
    try (TokenStore tokens = TokenStore.open(dir, new SecureRandom(), CLOCK)) {
      old = tokens.create("ops", Role.ADMIN);
    }
    Path file = dir.resolve(TokenStore.FILE);
    byte[] wrongType = io.boottorrent.proto.BootPolicy.newBuilder().setDefaultImage("demo").setMenuTimeoutSeconds(5)
        .build().toByteArray();
    byte[] bad = corruption.apply(Files.readAllBytes(file), wrongType);
    Files.write(file, bad);

    String adminSecret;
    try (TokenStore tokens = TokenStore.open(dir, new SecureRandom(), CLOCK)) {
      assertThat(tokens.authenticate(old.secret())).isEmpty();
      assertThat(tokens.list()).isEmpty();
      assertThat(tokens.setAside()).hasValueSatisfying(a -> {
        assertThat(a.file()).isEqualTo(file);
        assertThat(a.problem()).contains("every token it held is void");
      });
      CorruptFiles.assertSetAsideIntact(file, bad);
      Path admin = tokens.bootstrap().orElseThrow();
      adminSecret = Files.readString(admin).trim();
      assertThat(tokens.authenticate(adminSecret)).hasValueSatisfying(t -> assertThat(t.getRole()).isEqualTo(Role.ADMIN));
    }
    try (TokenStore tokens = TokenStore.open(dir, new SecureRandom(), CLOCK)) {
      assertThat(tokens.setAside()).isEmpty();
      assertThat(tokens.authenticate(adminSecret)).isPresent();
      assertThat(tokens.bootstrap()).isEmpty();
    }
  }

  @Test
  void aTokenWithoutAHashOrRoleMakesTheFileCorrupt() throws Exception {
    Path file = dir.resolve(TokenStore.FILE);
    Files.write(file, TokenStoreFile.newBuilder().addTokens(io.boottorrent.proto.StoredToken.newBuilder()
        .setToken(ApiToken.newBuilder().setId("0123456789ab").setName("x"))).build().toByteArray());
    try (TokenStore tokens = TokenStore.open(dir, new SecureRandom(), CLOCK)) {
      assertThat(tokens.setAside()).hasValueSatisfying(a -> assertThat(a.problem()).contains("token 0"));
    }
  }

  @Test
  void anEmptyFileIsAStoreWhoseTokensWereAllRevokedNotCorruption() throws Exception {
    // Revoking the last token writes an empty TokenStoreFile: zero bytes.
    try (TokenStore tokens = TokenStore.open(dir, new SecureRandom(), CLOCK)) {
      tokens.revoke(tokens.create("ops", Role.ADMIN).token().getId());
    }
    assertThat(Files.size(dir.resolve(TokenStore.FILE))).isZero();
    try (TokenStore tokens = TokenStore.open(dir, new SecureRandom(), CLOCK)) {
      assertThat(tokens.setAside()).isEmpty();
      assertThat(tokens.bootstrap()).isEmpty();
    }
  }
}
