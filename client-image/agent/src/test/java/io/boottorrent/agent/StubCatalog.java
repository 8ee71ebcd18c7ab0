package io.boottorrent.agent;

import io.boottorrent.proto.BootAssignment;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.ImageManifest;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import java.util.List;

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
      } else if (req.path().startsWith("/api/v1/boot/")) {
        req.response().end(Buffer.buffer(assignment.toByteArray()));
      } else if (req.path().equals("/api/v1/images/" + image.getName() + "/torrent")) {
        req.response().end(Buffer.buffer(torrent));
      } else {
        req.response().setStatusCode(404).end();
      }
    }).listen(0, host).await();
    return "http://" + host + ":" + server.actualPort();
  }
}
