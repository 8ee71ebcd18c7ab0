package io.boottorrent.cli;

import io.boottorrent.catalog.SigningKeys;
import io.boottorrent.core.trust.Ed25519;
import io.boottorrent.proto.KeyEntry;
import io.boottorrent.proto.KeyRing;
import io.boottorrent.server.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpRequest;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The catalog's signing keys: {@code keys generate|show|rotate}. */
@Command(name = "keys", mixinStandardHelpOptions = true,
    description = "The catalog's Ed25519 keys that sign image manifests (agents launch only what they sign).",
    subcommands = {KeysCommand.Generate.class, KeysCommand.Show.class, KeysCommand.Rotate.class})
final class KeysCommand {
  private KeysCommand() {}

  @Command(name = "generate", mixinStandardHelpOptions = true,
      description = "Create the key ring in a data dir before the catalog's first start (it creates one itself "
          + "otherwise). Never overwrites keys.")
  static final class Generate implements Callable<Integer> {
    @Option(names = "--data-dir", required = true, description = "The catalog's data dir") Path dataDir;

    @Override
    public Integer call() throws IOException {
      Path file = SigningKeys.fileIn(dataDir);
      SigningKeys keys;
      try {
        keys = SigningKeys.create(file, Clock.systemUTC());
      } catch (FileAlreadyExistsException e) {
        System.err.println("error: " + file + " exists already; `boottorrent keys show --data-dir " + dataDir
            + "` prints its keys, `boottorrent keys rotate` replaces the active one");
        return 2;
      }
      System.out.println("created " + file + " (mode 0600)");
      print(keys.publicView(), false, System.out);
      return 0;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true,
      description = "The keys, their fingerprints (for boottorrent.keys= on a kernel command line) and which "
          + "sign now; --pem: the public keys that sign now, for client-image/build.sh TRUSTED_KEYS=.")
  static final class Show extends ImageCommand.Remote {
    @Option(names = "--data-dir", description = "Read the key ring file instead of asking the catalog") Path dataDir;
    @Option(names = "--pem", description = "Print the signing public keys as PEM") boolean pem;

    @Override
    public Integer call() throws Exception {
      if (dataDir != null) {
        Path file = SigningKeys.fileIn(dataDir);
        if (!Files.exists(file)) {
          System.err.println("error: no key ring at " + file + " (the catalog creates it at its first start)");
          return 2;
        }
        print(KeyRing.parseFrom(Files.readAllBytes(file)), pem, System.out);
        return 0;
      }
      return finish(send(HttpRequest.newBuilder(uri("/api/v1/keys")).GET()), body -> print(ring(body), pem, System.out));
    }
  }

  @Command(name = "rotate", mixinStandardHelpOptions = true,
      description = "Make a new key active; the previous one goes on signing beside it for catalog.keyOverlapDays, "
          + "so client images that trust only it still boot until rebuilt with the new one.")
  static final class Rotate extends ImageCommand.Remote {
    @Override
    public Integer call() throws Exception {
      return finish(send(HttpRequest.newBuilder(uri("/api/v1/keys/rotate")).POST(HttpRequest.BodyPublishers.noBody())),
          body -> {
            System.out.println("rotated; rebuild client images with `boottorrent keys show --pem` before the "
                + "previous key stops signing");
            print(ring(body), false, System.out);
          });
    }
  }

  private static KeyRing ring(String json) {
    try {
      return Json.parse(json, KeyRing.newBuilder()).build();
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalStateException("the catalog sent a malformed key ring: " + e.getMessage(), e);
    }
  }

  /** One line per key (newest first), or with {@code pem} the PEM of the keys that sign now. */
  static void print(KeyRing ring, boolean pem, PrintStream out) {
    long now = System.currentTimeMillis();
    java.util.List<KeyEntry> keys = new java.util.ArrayList<>(ring.getKeysList());
    keys.sort(java.util.Comparator.comparingLong(KeyEntry::getCreatedAtMs).reversed());
    for (KeyEntry k : keys) {
      boolean signs = k.getRetiredAtMs() == 0 || k.getSignsUntilMs() > now;
      if (pem) {
        if (signs) {
          out.print(Ed25519.toPem(k.getPublicKey().toByteArray()));
        }
        continue;
      }
      String state = k.getRetiredAtMs() == 0 ? "active"
          : signs ? "retired, signs until " + Instant.ofEpochMilli(k.getSignsUntilMs())
          : "retired " + Instant.ofEpochMilli(k.getRetiredAtMs()) + ", signs nothing";
      out.printf("%s  %-48s created %s%n", k.getFingerprint(), state, Instant.ofEpochMilli(k.getCreatedAtMs()));
    }
  }
}
