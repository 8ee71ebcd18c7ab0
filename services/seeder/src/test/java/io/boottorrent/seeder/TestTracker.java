package io.boottorrent.seeder;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The least HTTP tracker libtorrent accepts (BEP 3 announce, BEP 23 compact peers, IPv4 only): enough
 * for seeders in one test to find each other the way they do in production. The real tracker lives
 * in services/tracker.
 */
final class TestTracker {
  private final Map<String, Map<String, byte[]>> swarms = new ConcurrentHashMap<>();
  private final Set<String> announcers = ConcurrentHashMap.newKeySet();
  private HttpServer server;

  Future<TestTracker> start(Vertx vertx) {
    return vertx.createHttpServer()
        .requestHandler(this::handle)
        .listen(0, "127.0.0.1")
        .map(s -> {
          server = s;
          return this;
        });
  }

  String announceUrl() {
    return "http://127.0.0.1:" + server.actualPort() + "/announce";
  }

  /** "ip:port" of every peer that announced so far. */
  Set<String> announcers() {
    return Set.copyOf(announcers);
  }

  private void handle(HttpServerRequest request) {
    if (!request.path().equals("/announce") || request.query() == null) {
      request.response().setStatusCode(404).end();
      return;
    }
    Map<String, byte[]> query = parseQuery(request.query());
    byte[] infoHash = query.get("info_hash");
    String port = query.containsKey("port") ? new String(query.get("port"), StandardCharsets.ISO_8859_1) : null;
    if (infoHash == null || infoHash.length != 20 || port == null) {
      request.response().end(bencodeFailure("info_hash and port required"));
      return;
    }
    String ip = request.remoteAddress().hostAddress();
    String self = ip + ":" + port;
    Map<String, byte[]> swarm = swarms.computeIfAbsent(HexFormat.of().formatHex(infoHash), k -> new ConcurrentHashMap<>());
    String event = query.containsKey("event") ? new String(query.get("event"), StandardCharsets.ISO_8859_1) : "";
    if (event.equals("stopped")) {
      swarm.remove(self);
    } else {
      swarm.put(self, compact(ip, Integer.parseInt(port)));
      announcers.add(self);
    }
    ByteArrayOutputStream peers = new ByteArrayOutputStream();
    swarm.forEach((peer, bytes) -> {
      if (!peer.equals(self)) {
        peers.writeBytes(bytes);
      }
    });
    Buffer body = Buffer.buffer("d8:intervali5e12:min intervali1e5:peers" + peers.size() + ":")
        .appendBytes(peers.toByteArray())
        .appendString("e");
    request.response().putHeader("Content-Type", "text/plain").end(body);
  }

  private static Buffer bencodeFailure(String reason) {
    return Buffer.buffer("d14:failure reason" + reason.length() + ":" + reason + "e");
  }

  private static byte[] compact(String ip, int port) {
    String[] parts = ip.split("\\.");
    byte[] out = new byte[6];
    for (int i = 0; i < 4; i++) {
      out[i] = (byte) Integer.parseInt(parts[i]);
    }
    out[4] = (byte) (port >> 8);
    out[5] = (byte) port;
    return out;
  }

  /** Percent-decodes to raw bytes: info_hash is binary, not UTF-8. */
  static Map<String, byte[]> parseQuery(String query) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        out.put(pair.substring(0, eq), decode(pair.substring(eq + 1)));
      }
    }
    return out;
  }

  private static byte[] decode(String text) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '%' && i + 2 < text.length()) {
        out.write(Integer.parseInt(text.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        out.write(c == '+' ? ' ' : c);
      }
    }
    return out.toByteArray();
  }
}
