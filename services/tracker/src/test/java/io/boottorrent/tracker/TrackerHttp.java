package io.boottorrent.tracker;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.tracker.protocol.BBytes;
import io.boottorrent.tracker.protocol.BDict;
import io.boottorrent.tracker.protocol.BInt;
import io.boottorrent.tracker.protocol.BValue;
import io.boottorrent.tracker.protocol.Bencode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A test client of one tracker on 127.0.0.1. Calls block the test thread (never an event loop) so
 * that multi-step scenarios read top to bottom.
 */
final class TrackerHttp {
  private final Vertx vertx;
  private final WebClient client;
  private final int port;

  TrackerHttp(Vertx vertx, int port) {
    this(vertx, port, WebClient.create(vertx));
  }

  private TrackerHttp(Vertx vertx, int port, WebClient client) {
    this.vertx = vertx;
    this.client = client;
    this.port = port;
  }

  /**
   * A client of the same tracker whose connections come from {@code localAddress}, e.g. 127.0.0.2:
   * Linux routes all of 127.0.0.0/8 to lo, so tests get distinct source addresses without root.
   */
  TrackerHttp from(String localAddress) {
    return new TrackerHttp(vertx, port, WebClient.create(vertx, new WebClientOptions().setLocalAddress(localAddress)));
  }

  static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("future did not succeed: " + e, e);
    }
  }

  /** GET of a path with a raw (already escaped) query, sent exactly as given, with header name/value pairs. */
  HttpResponse<Buffer> get(String pathAndQuery, String... headers) {
    HttpRequest<Buffer> request = client.get(port, "127.0.0.1", pathAndQuery);
    for (int i = 0; i < headers.length; i += 2) {
      request.putHeader(headers[i], headers[i + 1]);
    }
    return await(request.send());
  }

  /** The decoded body of a bencoded 200 text/plain answer. */
  BDict bencoded(String pathAndQuery, String... headers) {
    HttpResponse<Buffer> response = get(pathAndQuery, headers);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.getHeader("Content-Type")).isEqualTo("text/plain");
    try {
      return (BDict) Bencode.decode(response.body().getBytes());
    } catch (Exception e) {
      throw new AssertionError("not a bencoded dictionary: " + response.bodyAsString(), e);
    }
  }

  BDict announce(String query, String... headers) {
    return bencoded("/announce?" + query, headers);
  }

  BDict scrape(String query) {
    return bencoded("/scrape?" + query);
  }

  static long integer(BDict dict, String key) {
    BValue value = dict.get(key).orElseThrow(() -> new AssertionError("no " + key + " in " + dict));
    return ((BInt) value).value();
  }

  static String text(BDict dict, String key) {
    BValue value = dict.get(key).orElseThrow(() -> new AssertionError("no " + key + " in " + dict));
    return ((BBytes) value).utf8();
  }

  /** The "ip:port" entries of a compact (BEP 23) peers string. */
  static List<String> compactPeers(BDict announce) {
    byte[] packed = ((BBytes) announce.get("peers").orElseThrow()).bytes();
    assertThat(packed.length % 6).as("compact peers length").isZero();
    List<String> out = new ArrayList<>();
    for (int i = 0; i < packed.length; i += 6) {
      out.add((packed[i] & 0xff) + "." + (packed[i + 1] & 0xff) + "." + (packed[i + 2] & 0xff) + "."
          + (packed[i + 3] & 0xff) + ":" + ((packed[i + 4] & 0xff) << 8 | (packed[i + 5] & 0xff)));
    }
    return out;
  }

  /** The {@code files} entry of one swarm in a scrape answer. */
  static BDict scrapeFile(BDict scrape, byte[] infoHash) {
    BDict files = (BDict) scrape.get("files").orElseThrow();
    return (BDict) files.get(new BBytes(infoHash)).orElseThrow(() -> new AssertionError("swarm missing: " + files));
  }
}
