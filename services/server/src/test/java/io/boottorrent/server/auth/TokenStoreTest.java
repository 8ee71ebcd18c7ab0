package io.boottorrent.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.core.DirectoryLock;
import io.boottorrent.proto.ApiToken;
import io.boottorrent.proto.Role;
import io.boottorrent.proto.TokenStoreFile;
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

  @Test
  void aCorruptFileIsAnErrorNamingIt() throws Exception {
    Files.write(dir.resolve(TokenStore.FILE), new byte[] {(byte) 0xff, (byte) 0xff, 0x01});
    assertThatThrownBy(() -> TokenStore.open(dir)).hasMessageContaining(dir.resolve(TokenStore.FILE) + " is corrupt");
    // and the lock was given back
    TokenStore.open(dir.resolve("other")).close();
    Files.delete(dir.resolve(TokenStore.FILE));
    TokenStore.open(dir).close();
  }
}
