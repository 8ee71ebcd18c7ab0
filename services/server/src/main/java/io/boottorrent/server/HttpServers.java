package io.boottorrent.server;

import io.vertx.core.http.HttpServerOptions;

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
}
