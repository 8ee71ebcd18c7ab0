package io.boottorrent.cli;

import io.boottorrent.catalog.CatalogVerticle;
import io.boottorrent.core.DirectoryLock;
import io.boottorrent.proto.ApiToken;
import io.boottorrent.proto.CreateTokenRequest;
import io.boottorrent.proto.CreatedToken;
import io.boottorrent.proto.Role;
import io.boottorrent.proto.TokenList;
import io.boottorrent.server.Json;
import io.boottorrent.server.auth.Roles;
import io.boottorrent.server.auth.TokenStore;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code boottorrent tokens}: the catalog's bearer tokens (an admin token is needed for all of it). */
@Command(name = "tokens", mixinStandardHelpOptions = true, description = "Create, list and revoke API tokens.",
    subcommands = {TokensCommand.Create.class, TokensCommand.ListTokens.class, TokensCommand.Revoke.class})
final class TokensCommand {
  private TokensCommand() {}

  /** Reads {@code viewer}, {@code operator}, {@code admin} for picocli. */
  static final class RoleConverter implements picocli.CommandLine.ITypeConverter<Role> {
    @Override
    public Role convert(String value) {
      try {
        return Roles.parse(value);
      } catch (IllegalArgumentException e) {
        throw new picocli.CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = {"Create a token and print it (shown this once; the catalog keeps only its hash).",
          "With --data-dir: write it into a stopped catalog's token store directly (a lost admin token)."})
  static final class Create extends ImageCommand.Remote {
    @Option(names = "--name", required = true, description = "What the token is for (printable ASCII, at most 64).")
    String name;

    @Option(names = "--role", required = true, converter = RoleConverter.class,
        description = "viewer (reads), operator (images, policy) or admin (tokens).")
    Role role;

    @Option(names = "--data-dir", paramLabel = "DIR",
        description = "The stopped catalog's data dir: no catalog URL, no token needed.")
    Path dataDir;

    @Override
    public Integer call() throws Exception {
      if (dataDir != null) {
        return offline();
      }
      HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/api/v1/tokens"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(Json.print(
              CreateTokenRequest.newBuilder().setName(name).setRole(role).build()))));
      return finish(response, body -> {
        try {
          CreatedToken created = Json.parse(body, CreatedToken.newBuilder()).build();
          print(created.getToken(), created.getSecret());
        } catch (IOException e) {
          throw new IllegalStateException("catalog sent malformed JSON: " + e.getMessage(), e);
        }
      });
    }

    private int offline() throws IOException {
      Path dir = CatalogVerticle.tokenDir(dataDir.toAbsolutePath().normalize());
      try (TokenStore store = TokenStore.open(dir)) {
        TokenStore.Created created = store.create(name, role);
        print(created.token(), created.secret());
        return 0;
      } catch (DirectoryLock.InUseException e) {
        System.err.println("error: " + e.getMessage() + "; stop it first, or create the token through its API "
            + "with an admin token (`boottorrent tokens create --catalog URL`)");
        return 1;
      } catch (IllegalArgumentException e) {
        System.err.println("error: " + e.getMessage());
        return 2;
      }
    }

    private static void print(ApiToken token, String secret) {
      System.err.println("created token " + token.getId() + " '" + token.getName() + "' (" + Roles.name(token.getRole())
          + "); it is shown only now:");
      System.out.println(secret);
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the tokens (never their secrets).")
  static final class ListTokens extends ImageCommand.Remote {
    @Override
    public Integer call() throws Exception {
      return finish(send(HttpRequest.newBuilder(uri("/api/v1/tokens")).GET()), body -> {
        TokenList.Builder list = TokenList.newBuilder();
        try {
          Json.parse(body, list);
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
        System.out.printf("%-12s %-8s %-20s  %s%n", "ID", "ROLE", "CREATED", "NAME");
        for (ApiToken t : list.getTokensList()) {
          System.out.printf("%-12s %-8s %-20s  %s%n", t.getId(), Roles.name(t.getRole()),
              Instant.ofEpochMilli(t.getCreatedMs()).toString().replaceAll("\\.\\d+Z$", "Z"), t.getName());
        }
      });
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a token by its id: it stops working at once.")
  static final class Revoke extends ImageCommand.Remote {
    @Parameters(index = "0", paramLabel = "ID") String id;

    @Override
    public Integer call() throws Exception {
      return finish(send(HttpRequest.newBuilder(uri("/api/v1/tokens/" + enc(id))).DELETE()),
          body -> System.out.println("revoked " + id));
    }
  }
}
