package io.boottorrent.agent;

import io.boottorrent.proto.BootAssignment;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootProfile;
import io.boottorrent.proto.ImageManifest;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The part of the catalog an agent talks to, for agent tests: it assigns {@code image} (with its
 * manifest in the menu, menu skipped) to {@code mac}, serves {@code torrent} for it, keeps every boot
 * event posted in {@code events} and every request's method and path in {@code requests}.
 */
final class StubCatalog {
  private StubCatalog() {}

  /** @return the stub's base URL */
  static String start(Vertx vertx, String host, String mac, ImageManifest image, byte[] torrent,
      List<BootEvent> events, List<String> requests) {
    return start(vertx, host, mac, image, torrent, events, requests, null);
  }

  /**
   * @param seedRoot non-null: {@code GET /seed/<path>} serves the files under it with byte ranges (a
   *     BitTorrent web seed, as the catalog's)
   */
  static String start(Vertx vertx, String host, String mac, ImageManifest image, byte[] torrent,
      List<BootEvent> events, List<String> requests, java.nio.file.Path seedRoot) {
    return start(vertx, host, 0, mac, image, torrent, events, requests, seedRoot);
  }

  /** On {@code port} (0: any free one). */
  static String start(Vertx vertx, String host, int port, String mac, ImageManifest image, byte[] torrent,
      List<BootEvent> events, List<String> requests, java.nio.file.Path seedRoot) {
    return start(vertx, host, port, mac, image, torrent, events, requests, seedRoot, new AtomicReference<>());
  }

  /**
   * @param profile the image's boot profile: served at {@code GET .../boot-profile} (404 while null), set
   *     by {@code POST .../boot-profile} when null (201; else 409, as the catalog: the first one wins)
   */
  static String start(Vertx vertx, String host, int port, String mac, ImageManifest image, byte[] torrent,
      List<BootEvent> events, List<String> requests, java.nio.file.Path seedRoot, AtomicReference<BootProfile> profile) {
    BootAssignment assignment = BootAssignment.newBuilder().setMac(mac).setDefaultImage(image.getName())
        .setSkipMenu(true).setMatchedRule("mac").addMenu(image).build();
    HttpServer server = vertx.createHttpServer().requestHandler(req -> {
      requests.add(req.method() + " " + req.path());
      if (req.method() == HttpMethod.POST && req.path().equals("/api/v1/events")) {
        req.body().onSuccess(body -> {
          try {
            events.add(BootEvent.parseFrom(body.getBytes()));
          } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
          }
          req.response().setStatusCode(202).end();
        });
      } else if (req.path().equals("/api/v1/images/" + image.getName() + "/boot-profile")) {
        if (req.method() == HttpMethod.POST) {
          req.body().onSuccess(body -> {
            try {
              boolean first = profile.compareAndSet(null, BootProfile.parseFrom(body.getBytes()));
              req.response().setStatusCode(first ? 201 : 409).end();
            } catch (java.io.IOException e) {
              req.response().setStatusCode(400).end();
            }
          });
        } else if (profile.get() == null) {
          req.response().setStatusCode(404).end("image " + image.getName() + " has no boot profile yet");
        } else {
          req.response().end(Buffer.buffer(profile.get().toByteArray()));
        }
      } else if (req.path().startsWith("/api/v1/boot/")) {
        req.response().end(Buffer.buffer(assignment.toByteArray()));
      } else if (req.path().equals("/api/v1/images/" + image.getName() + "/torrent")) {
        req.response().end(Buffer.buffer(torrent));
      } else if (seedRoot != null && req.path().startsWith("/seed/") && !req.path().contains("..")) {
        java.nio.file.Path file = seedRoot.resolve(req.path().substring("/seed/".length()));
        long size = file.toFile().length();
        java.util.regex.Matcher range = java.util.regex.Pattern.compile("bytes=(\\d+)-(\\d*)")
            .matcher(String.valueOf(req.getHeader("Range")));
        if (!range.matches()) {
          req.response().sendFile(file.toString());
        } else {
          long from = Long.parseLong(range.group(1));
          long to = range.group(2).isEmpty() ? size - 1 : Math.min(size - 1, Long.parseLong(range.group(2)));
          req.response().setStatusCode(206).putHeader("Content-Range", "bytes " + from + "-" + to + "/" + size)
              .sendFile(file.toString(), from, to - from + 1);
        }
      } else {
        req.response().setStatusCode(404).end();
      }
    }).listen(port, host).await();
    return "http://" + host + ":" + server.actualPort();
  }
}
