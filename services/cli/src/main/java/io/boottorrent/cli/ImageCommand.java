package io.boottorrent.cli;

import io.boottorrent.server.Json;
import io.boottorrent.proto.AddImageRequest;
import io.boottorrent.proto.ImageKind;
import io.boottorrent.proto.ImageList;
import io.boottorrent.proto.ImageManifest;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Operator commands against a running catalog's REST API. */
@Command(name = "image", mixinStandardHelpOptions = true, description = "Manage images in the catalog.",
    subcommands = {ImageCommand.Add.class, ImageCommand.ListImages.class, ImageCommand.Show.class,
        ImageCommand.Delete.class})
final class ImageCommand {
  static final String DEFAULT_CATALOG = "http://127.0.0.1:8080";

  abstract static class Remote implements Callable<Integer> {
    @Option(names = "--catalog", defaultValue = "${env:BOOTTORRENT_CATALOG_URL:-" + DEFAULT_CATALOG + "}",
        description = "Catalog URL (default: ${DEFAULT-VALUE}).")
    String catalog;

    @Option(names = "--token-file", paramLabel = "FILE",
        description = "File holding the bearer token (else $BOOTTORRENT_TOKEN, else the file $BOOTTORRENT_TOKEN_FILE names).")
    Path tokenFile;

    @Option(names = "--catalog-cert-sha256", paramLabel = "HEX",
        defaultValue = "${env:BOOTTORRENT_CATALOG_CERT_SHA256:-}",
        description = "With an https --catalog: trust only the certificate with this SHA-256 (of its DER: "
            + "`openssl x509 -in cert.pem -outform DER | sha256sum`; the catalog logs it at start), whatever host "
            + "name or address it is reached by. Default: $BOOTTORRENT_CATALOG_CERT_SHA256, else the JDK's CA certificates.")
    String catalogCert;

    private HttpClient http;
    private java.util.Optional<TokenSource.Found> token;

    /** The HTTP client: with a certificate pin, a TLS context that trusts that certificate only. */
    HttpClient http() {
      if (http == null) {
        java.util.Optional<io.boottorrent.core.trust.CertificatePin> pin;
        try {
          pin = io.boottorrent.core.trust.CertificatePin.parse(catalogCert == null ? "" : catalogCert);
        } catch (IllegalArgumentException e) {
          throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--catalog-cert-sha256: " + e.getMessage(), e);
        }
        if (pin.isPresent() && !catalog.startsWith("https://")) {
          throw new picocli.CommandLine.ParameterException(spec.commandLine(),
              "--catalog-cert-sha256 is set, but --catalog " + catalog + " is not an https:// URL");
        }
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        pin.ifPresent(p -> b.sslContext(p.sslContext()));
        http = b.build();
      }
      return http;
    }

    /** The token the command sends, looked up once; reads send it too when there is one (auth.openReads false). */
    java.util.Optional<TokenSource.Found> token() {
      if (token == null) {
        try {
          token = TokenSource.find(tokenFile, System.getenv());
        } catch (IllegalArgumentException e) {
          throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
      }
      return token;
    }

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
      token().ifPresent(t -> request.header("Authorization", "Bearer " + t.secret()));
      try {
        return http().send(request.header("Accept", "application/json").timeout(Duration.ofMinutes(30)).build(),
            HttpResponse.BodyHandlers.ofString());
      } catch (java.net.ConnectException e) {
        throw new IOException("cannot reach the catalog at " + catalog + " (is `boottorrent serve` running?)", e);
      } catch (javax.net.ssl.SSLHandshakeException e) {
        throw new IOException("refusing the catalog at " + catalog + ": " + e.getMessage()
            + (catalogCert == null || catalogCert.isBlank() ? " (a certificate of its own? pass --catalog-cert-sha256)" : ""), e);
      }
    }

    URI uri(String path) {
      return URI.create(catalog.replaceAll("/+$", "") + path);
    }

    /** Prints the body on 2xx, the catalog's reason otherwise; returns the exit code. */
    int finish(HttpResponse<String> response, java.util.function.Consumer<String> onOk) {
      if (response.statusCode() / 100 == 2) {
        onOk.accept(response.body());
        return 0;
      }
      String reason = response.body();
      try {
        reason = new JsonObject(response.body()).getString("error", reason);
      } catch (RuntimeException notJson) {
        // keep the raw body
      }
      System.err.println("error: " + reason + " (HTTP " + response.statusCode() + ")");
      if (response.statusCode() == 401) {
        System.err.println(token().map(t -> "the catalog refused the token from " + t.from()
            + " (unknown or revoked?)").orElse("no token found: looked at " + TokenSource.WHERE
            + " (the first admin token is in <dataDir>/catalog/admin.token on the catalog's machine)"));
      }
      return response.statusCode() / 100 == 4 ? 2 : 1;
    }

    static String enc(String s) {
      return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = "Add an image from files on the catalog's machine; builds its torrent and manifest.")
  static final class Add extends Remote {
    @Option(names = "--name", required = true, description = "Image name: [a-z0-9][a-z0-9._-]*") String name;
    @Option(names = "--kind", required = true, description = "kexec, qemu or exec") ImageKind kind;
    @Option(names = "--kernel", description = "kexec: kernel file") Path kernel;
    @Option(names = "--initrd", description = "kexec: initrd file") Path initrd;
    @Option(names = "--cmdline", description = "kexec: kernel command line") String cmdline;
    @Option(names = "--disk", description = "qemu: disk image") Path disk;
    @Option(names = "--binary", description = "exec: program") Path binary;
    @Option(names = "--arg", description = "qemu/exec: an argument (repeat for more)") List<String> args;
    @Option(names = "--description") String description;
    @Option(names = "--piece-length", description = "bytes, power of two; default: from the size") int pieceLength;
    @Option(names = "--streaming", description = "qemu: boot while it downloads: auto (the agent's agent.streaming), "
        + "on or off") String streaming;

    @Override
    public Integer call() throws Exception {
      AddImageRequest.Builder b = AddImageRequest.newBuilder().setName(name).setKind(kind).setPieceLength(pieceLength);
      if (kernel != null) b.setKernel(kernel.toAbsolutePath().toString());
      if (initrd != null) b.setInitrd(initrd.toAbsolutePath().toString());
      if (cmdline != null) b.setCmdline(cmdline);
      if (disk != null) b.setDisk(disk.toAbsolutePath().toString());
      if (binary != null) b.setBinary(binary.toAbsolutePath().toString());
      if (args != null) b.addAllArgs(args);
      if (description != null) b.setDescription(description);
      if (streaming != null) b.setStreaming(streamingOf(streaming));
      System.err.println("adding " + name + " (hashing and building the torrent)...");
      Thread progress = new Thread(this::reportProgress, "image-add-progress");
      progress.setDaemon(true);
      progress.start();
      try {
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/api/v1/images"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(Json.print(b.build()))));
        return finish(response, body -> System.out.println(summary(parse(body))));
      } finally {
        progress.interrupt();
      }
    }

    static io.boottorrent.proto.Streaming streamingOf(String value) {
      return switch (value.toLowerCase(java.util.Locale.ROOT)) {
        case "auto" -> io.boottorrent.proto.Streaming.STREAMING_AUTO;
        case "on" -> io.boottorrent.proto.Streaming.STREAMING_ON;
        case "off" -> io.boottorrent.proto.Streaming.STREAMING_OFF;
        default -> throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(new Add()),
            "--streaming: expected auto, on or off, got \"" + value + "\"");
      };
    }

    /** Until interrupted: every few seconds, how far the catalog has got with this add (GET /api/v1/imports). */
    private void reportProgress() {
      String last = "";
      try {
        while (!Thread.currentThread().isInterrupted()) {
          Thread.sleep(PROGRESS_MS);
          HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/api/v1/imports")).GET());
          if (r.statusCode() != 200) {
            return; // an older catalog, or no right to read: the add goes on without progress
          }
          for (Object o : new JsonObject(r.body()).getJsonArray("imports")) {
            JsonObject p = (JsonObject) o;
            if (name.equals(p.getString("name"))) {
              String line = progressLine(p);
              if (!line.equals(last)) {
                System.err.println("  " + line);
                last = line;
              }
            }
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (IOException | RuntimeException e) {
        // progress is a courtesy: the add's own answer says how it went
      }
    }
  }

  static final long PROGRESS_MS = 2000;

  /** {@code copying 45% (460 of 1024 MiB), 12 s} from an entry of GET /api/v1/imports. */
  static String progressLine(JsonObject p) {
    String phase = p.getString("phase", "?").replace('_', ' ');
    long seconds = p.getLong("elapsedMs", 0L) / 1000;
    return "copying".equals(phase)
        ? String.format("%s %d%% (%d of %d MiB), %d s", phase, p.getLong("percent", 0L),
            p.getLong("bytesCopied", 0L) >> 20, p.getLong("bytesTotal", 0L) >> 20, seconds)
        : phase + ", " + seconds + " s";
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the catalog's images.")
  static final class ListImages extends Remote {
    @Override
    public Integer call() throws Exception {
      return finish(send(HttpRequest.newBuilder(uri("/api/v1/images")).GET()), body -> {
        ImageList.Builder list = ImageList.newBuilder();
        try {
          Json.parse(body, list);
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
        System.out.printf("%-24s %-6s %12s  %s%n", "NAME", "KIND", "SIZE", "INFO-HASH");
        for (ImageManifest m : list.getImagesList()) {
          System.out.printf("%-24s %-6s %12d  %s%n", m.getName(), m.getKind().name().toLowerCase(),
              m.getTotalSize(), m.getInfoHash());
        }
      });
    }
  }

  /** A command on one image, by its name. */
  abstract static class OneImage extends Remote {
    @Parameters(index = "0") String name;

    HttpRequest.Builder image() {
      return HttpRequest.newBuilder(uri("/api/v1/images/" + enc(name)));
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one image's manifest (JSON).")
  static final class Show extends OneImage {
    @Override
    public Integer call() throws Exception {
      return finish(send(image().GET()), body -> System.out.println(new JsonObject(body).encodePrettily()));
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete an image and its files.")
  static final class Delete extends OneImage {
    @Override
    public Integer call() throws Exception {
      return finish(send(image().DELETE()), body -> System.out.println("deleted " + name));
    }
  }

  static ImageManifest parse(String json) {
    try {
      return Json.parse(json, ImageManifest.newBuilder()).build();
    } catch (IOException e) {
      throw new IllegalStateException("catalog sent malformed JSON: " + e.getMessage(), e);
    }
  }

  static String summary(ImageManifest m) {
    return String.format("%s (%s): %d bytes in %d file(s), piece %d KiB, info-hash %s",
        m.getName(), m.getKind().name().toLowerCase(), m.getTotalSize(), m.getFilesCount(),
        m.getPieceLength() / 1024, m.getInfoHash());
  }
}
