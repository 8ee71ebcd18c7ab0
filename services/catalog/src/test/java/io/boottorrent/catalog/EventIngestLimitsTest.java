package io.boottorrent.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.proto.Addresses;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.Codecs;
import io.boottorrent.testsupport.TestConfig;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Boot-event ingest bounded in bytes, over real HTTP: catalog.maxEventBytes (413) and the per-source
 * byte bucket (429), each driven far past its edge while the heap and RSS of this JVM, where the
 * catalog runs, are watched.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class EventIngestLimitsTest {
  static final int MAX_EVENT = 4096;
  static final int BYTES_PER_SECOND = 8192;
  static final int BYTES_BURST = 16384;
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  @TempDir Path dir;
  Vertx vertx;
  String events;
  final AtomicLong published = new AtomicLong();
  final AtomicLong publishedBytes = new AtomicLong();

  @BeforeEach
  void deploy() throws Exception {
    JsonObject config = TestConfig.loopback(dir);
    config.getJsonObject("catalog").put("maxEventBytes", MAX_EVENT).put("eventBytesPerSecondPerSource", BYTES_PER_SECOND)
        .put("eventBytesBurstPerSource", BYTES_BURST).put("eventRatePerSource", 100_000).put("eventBurstPerSource", 100_000);
    vertx = Vertx.vertx();
    Codecs.registerAll(vertx.eventBus());
    vertx.eventBus().<BootEvent>consumer(Addresses.BOOT_EVENT, m -> {
      published.incrementAndGet();
      publishedBytes.addAndGet(m.body().getSerializedSize());
    }).completion().await(10, TimeUnit.SECONDS);
    CatalogVerticle catalog = Fixtures.catalog(config);
    vertx.deployVerticle(catalog).await(60, TimeUnit.SECONDS);
    events = "http://127.0.0.1:" + catalog.actualPort() + "/api/v1/events";
  }

  @AfterEach
  void close() throws Exception {
    vertx.close().await(60, TimeUnit.SECONDS);
  }

  static String event(int i, int messageBytes) {
    return new JsonObject().put("mac", String.format("aa:bb:cc:dd:%02x:%02x", (i >> 8) & 0xff, i & 0xff))
        .put("stage", "DOWNLOAD_PROGRESS").put("message", "m".repeat(messageBytes)).encode();
  }

  HttpResponse<String> post(HttpRequest.BodyPublisher body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(events)).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json").POST(body).build(), HttpResponse.BodyHandlers.ofString());
  }

  static long heapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  static long rssKib() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", ""));
      }
    }
    return -1;
  }

  static long openFds() throws Exception {
    try (var list = Files.list(Path.of("/proc/self/fd"))) {
      return list.count();
    }
  }

  @Test
  void eventsLargerThanMaxEventBytesAre413WhateverTheirFramingAndCostNoMemory() throws Exception {
    // GIVEN catalog.maxEventBytes 4096: an event just under it passes
    assertThat(post(HttpRequest.BodyPublishers.ofString(event(1, MAX_EVENT - 200))).statusCode()).isEqualTo(202);
    long heap0 = heapAfterGc();
    long rss0 = rssKib();
    long fds0 = openFds();
    // WHEN 200 events of 1 MB (with Content-Length; under http.maxBodyBytes, so the events' own limit
    // answers) and 50 of 900 kB sent chunked (no length) are posted
    int refused = 0;
    String reason = "";
    byte[] mib = event(2, 1_000_000).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    for (int i = 0; i < 200; i++) {
      HttpResponse<String> r = post(HttpRequest.BodyPublishers.ofByteArray(mib));
      refused += r.statusCode() == 413 ? 1 : 0;
      reason = r.body();
    }
    byte[] chunked = event(3, 900_000).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    int refusedChunked = 0;
    for (int i = 0; i < 50; i++) {
      // a publisher without a known length: the JDK client sends it chunked
      HttpResponse<String> r = post(HttpRequest.BodyPublishers.fromPublisher(
          HttpRequest.BodyPublishers.ofByteArray(chunked)));
      refusedChunked += r.statusCode() == 413 ? 1 : 0;
    }
    long heap1 = heapAfterGc();
    long rss1 = rssKib();
    long fds1 = openFds();
    // THEN every one is refused with 413, naming the limit, and none was published
    assertThat(refused).isEqualTo(200);
    assertThat(refusedChunked).isEqualTo(50);
    assertThat(new JsonObject(reason).getString("error")).contains("at most 4096 (catalog.maxEventBytes)");
    assertThat(published.get()).isEqualTo(1);
    System.out.printf("MEASUREMENT ingest 413: 200 x 1 MB + 50 x 900 kB chunked refused; heap after GC %.1f -> %.1f MiB,"
        + " RSS %.1f -> %.1f MiB, open fds %d -> %d%n", heap0 / 1048576.0, heap1 / 1048576.0, rss0 / 1024.0, rss1 / 1024.0,
        fds0, fds1);
    // AND 245 MB posted left no trace in the heap (bodies refused or dropped once answered)
    assertThat(heap1 - heap0).isLessThan(32L << 20);
    assertThat(fds1 - fds0).isLessThan(20);
  }

  @Test
  void aSourceFloodingBytesGetsItsBurstThenTheByteRateAnd429s() throws Exception {
    // GIVEN 8 KiB/s and a 16 KiB burst per source, the count limit out of the way
    long heap0 = heapAfterGc();
    long rss0 = rssKib();
    // WHEN one source posts 3.5 kB events as fast as it can for 3 s
    long start = System.nanoTime();
    int accepted = 0;
    int limited = 0;
    long acceptedBytes = 0;
    String retryAfter = null;
    int i = 0;
    while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3)) {
      String body = event(i++, 3400);
      HttpResponse<String> r = post(HttpRequest.BodyPublishers.ofString(body));
      if (r.statusCode() == 202) {
        accepted++;
        acceptedBytes += body.length();
      } else {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
        assertThat(new JsonObject(r.body()).getString("error")).contains("too many bytes of boot events from 127.0.0.1");
        retryAfter = r.headers().firstValue("Retry-After").orElse(null);
        limited++;
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    long heap1 = heapAfterGc();
    long rss1 = rssKib();
    // THEN what passed is the burst plus the rate for the time taken (one event of slack), the rest 429 with Retry-After
    System.out.printf("MEASUREMENT ingest byte rate: %d events posted in %.2f s, %d accepted (%,d bytes; allowed %,.0f),"
        + " %d refused 429; heap after GC %.1f -> %.1f MiB, RSS %.1f -> %.1f MiB%n", i, seconds, accepted, acceptedBytes,
        BYTES_BURST + BYTES_PER_SECOND * seconds, limited, heap0 / 1048576.0, heap1 / 1048576.0, rss0 / 1024.0, rss1 / 1024.0);
    assertThat(limited).isPositive();
    assertThat(retryAfter).isEqualTo("1");
    assertThat((double) acceptedBytes).isLessThanOrEqualTo(BYTES_BURST + BYTES_PER_SECOND * seconds + 3500);
    assertThat(acceptedBytes).isGreaterThanOrEqualTo(BYTES_BURST - 3500);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (published.get() < accepted && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(published.get()).isEqualTo(accepted);
    assertThat(heap1 - heap0).isLessThan(32L << 20);
  }
}
