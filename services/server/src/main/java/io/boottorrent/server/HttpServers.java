package io.boottorrent.server;

import io.boottorrent.core.config.ConfigException;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import java.nio.file.Path;
import java.util.Optional;

/** The options every HTTP server of a service process starts from. */
public final class HttpServers {
  private HttpServers() {}

  /**
   * HTTP/1.1 only: no HTTP/2 cleartext upgrade ({@code Upgrade: h2c}). The JDK's HttpClient asks for
   * that upgrade on every plain-http request, and a large response after the upgrade now and then
   * reached it unframed ("Frame type(54) length(3420517) exceeds MAX_FRAME_SIZE", a CI flake in
   * SwarmBootStormTest reading 3 MB of events); boot clients and browsers speak HTTP/1.1 here anyway.
   */
  public static HttpServerOptions options() {
    return new HttpServerOptions().setHttp2ClearTextEnabled(false);
  }

  /**
   * {@link #options()} serving TLS with Vert.x's own {@link PemKeyCertOptions}: the certificate chain
   * (PEM, the server's certificate first) and its private key (PEM, PKCS#8 or PKCS#1). HTTP/1.1 only
   * (no ALPN for h2). Vert.x reads the files when the server listens: a missing or unreadable file
   * fails the listen, naming it.
   */
  public static HttpServerOptions tls(Tls tls) {
    return options().setSsl(true).setUseAlpn(false)
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(tls.cert().toString()).setKeyPath(tls.key().toString()));
  }

  /** A server's certificate chain and key files. */
  public record Tls(Path cert, Path key) {
    /**
     * Both of {@code <section>.tlsCert} and {@code tlsKey}, or neither (plain HTTP).
     *
     * @throws ConfigException naming the key that is missing
     */
    public static Optional<Tls> of(String section, Optional<Path> cert, Optional<Path> key) {
      if (cert.isPresent() != key.isPresent()) {
        String missing = cert.isPresent() ? "tlsKey" : "tlsCert";
        String given = cert.isPresent() ? "tlsCert" : "tlsKey";
        throw new ConfigException(section + "." + missing, "empty, but " + section + "." + given + " is \""
            + cert.or(() -> key).orElseThrow() + "\": TLS needs both the certificate chain and its key (PEM files)");
      }
      return cert.map(c -> new Tls(c, key.orElseThrow()));
    }
  }
}
