package io.boottorrent.cli;

import io.boottorrent.core.trust.CertificatePin;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * How `events tail` and `status` reach telemetry: a bearer token when its reads are closed
 * ({@code auth.openReads: false}; the same sources as the catalog commands, {@link TokenSource}), and
 * for an https telemetry with a certificate of its own, a pin ({@link CertificatePin}).
 */
final class TelemetryAccess {
  @Spec(Spec.Target.MIXEE) CommandSpec spec;

  @Option(names = "--token-file", paramLabel = "FILE",
      description = "File holding a viewer token, for telemetry with auth.openReads false (else $BOOTTORRENT_TOKEN, "
          + "else the file $BOOTTORRENT_TOKEN_FILE names).")
  Path tokenFile;

  @Option(names = "--telemetry-cert-sha256", paramLabel = "HEX", defaultValue = "${env:BOOTTORRENT_TELEMETRY_CERT_SHA256:-}",
      description = "With an https --telemetry: trust only the certificate with this SHA-256 (of its DER). "
          + "Default: $BOOTTORRENT_TELEMETRY_CERT_SHA256, else the JDK's CA certificates.")
  String certSha256;

  /** An HTTP/1.1 client for {@code url}; with a pin, trusting that certificate only. */
  HttpClient client(String url) {
    Optional<CertificatePin> pin;
    try {
      pin = CertificatePin.parse(certSha256 == null ? "" : certSha256);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--telemetry-cert-sha256: " + e.getMessage(), e);
    }
    if (pin.isPresent() && !url.startsWith("https://")) {
      throw new ParameterException(spec.commandLine(),
          "--telemetry-cert-sha256 is set, but --telemetry " + url + " is not an https:// URL");
    }
    HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5));
    pin.ifPresent(p -> b.sslContext(p.sslContext()));
    return b.build();
  }

  /** Adds the token, when there is one. */
  HttpRequest.Builder authorize(HttpRequest.Builder request) {
    Optional<TokenSource.Found> token;
    try {
      token = TokenSource.find(tokenFile, System.getenv());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    token.ifPresent(t -> request.header("Authorization", "Bearer " + t.secret()));
    return request;
  }

  /** What a 401 from telemetry means here. */
  static String unauthorized() {
    return "telemetry's reads need a viewer token (auth.openReads is false): looked at " + TokenSource.WHERE;
  }
}
