package io.boottorrent.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each limit of the {@code http} section driven past its edge on each HTTP server of a process
 * (catalog, telemetry, tracker, health), over raw sockets from several loopback source addresses:
 * the connection caps (total and per client), the request line (414), the header block (431), the
 * body (413), the idle timeout, the request-head timeout (slowloris); and an event stream that
 * outlives the idle timeout on its heartbeats. The process's open descriptors and RSS are read
 * before, at the peak of a connection flood, and after.
 */
class HttpLimitsTest {
  static final int PER_CLIENT = 20;
  static final int TOTAL = 60;
  static final int IDLE_S = 12;
  static final int HEADER_S = 10;

  @Test
  @Timeout(600)
  void everyServerHoldsItsLimitsAndTheProcessStaysBounded(@TempDir Path dir) throws Exception {
    try (Stack stack = new Stack(dir, 0, true, config -> {
      config.getJsonObject("http").put("idleTimeoutSeconds", IDLE_S).put("headerTimeoutSeconds", HEADER_S)
          .put("maxConnections", TOTAL).put("maxConnectionsPerClient", PER_CLIENT)
          .put("maxInitialLineBytes", 4096).put("maxHeaderBytes", 8192).put("maxBodyBytes", 65_536);
      config.getJsonObject("telemetry").put("sseHeartbeatSeconds", 1);
    })) {
      Map<String, Integer> ports = new LinkedHashMap<>();
      ports.put("catalog", stack.config.getJsonObject("catalog").getInteger("httpPort"));
      ports.put("telemetry", stack.config.getJsonObject("telemetry").getInteger("httpPort"));
      ports.put("tracker", stack.config.getJsonObject("tracker").getInteger("httpPort"));
      ports.put("health", stack.healthPort());
      Map<String, String> paths = Map.of("catalog", "/api/v1/images", "telemetry", "/api/v1/machines",
          "tracker", "/scrape", "health", "/health");

      for (Map.Entry<String, Integer> server : ports.entrySet()) {
        String name = server.getKey();
        int port = server.getValue();
        String path = paths.get(name);
        // request line, header block, declared body: each one past its limit
        assertThat(RawHttp.exchange(port, RawHttp.request("GET", path + "?x=" + "x".repeat(5000), List.of(), null),
            10_000).status()).as(name + ": request line over 4096 bytes").isEqualTo(414);
        assertThat(RawHttp.exchange(port, RawHttp.request("GET", path, List.of("X-Big: " + "h".repeat(9000)), null),
            10_000).status()).as(name + ": headers over 8192 bytes").isEqualTo(431);
        RawHttp.Answer body = RawHttp.exchange(port, RawHttp.request("POST", path, List.of(), new byte[70_000]), 10_000);
        assertThat(body.status()).as(name + ": body over 65536 bytes").isEqualTo(413);
        assertThat(body.bodyText()).contains("request body larger than 65536 bytes");
        // just under every limit is served as usual
        assertThat(RawHttp.exchange(port, RawHttp.request("GET", path + "?x=" + "x".repeat(3000),
            List.of("X-Big: " + "h".repeat(7000)), null), 10_000).status()).as(name + ": under the limits").isLessThan(500)
            .isNotIn(413, 414, 431, -1);
      }
      // a chunked body (no Content-Length) over the limit, where the catalog reads it
      RawHttp.Answer chunked = RawHttp.exchange(ports.get("catalog"), chunkedPost("/api/v1/images", stack.bearer(),
          100_000), 10_000);
      assertThat(chunked.status()).as("chunked body over 65536 bytes").isEqualTo(413);
      // a client still sending a large declared body gets the 413, not a reset: the server reads and
      // drops the rest before it closes (HttpServers.LINGER_MS)
      for (int i = 0; i < 5; i++) {
        java.net.http.HttpResponse<String> big = java.net.http.HttpClient.newHttpClient().send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + ports.get("catalog")
                + "/api/v1/events")).header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(new byte[4 << 20])).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(big.statusCode()).as("JDK client, 4 MiB declared body, try " + i).isEqualTo(413);
        assertThat(big.body()).contains("request body larger than 65536 bytes");
      }

      // ---------------------------------------------------------------------------- connection caps
      long fdsBefore = fds();
      long rssBefore = rssKiB();
      for (Map.Entry<String, Integer> server : ports.entrySet()) {
        String name = server.getKey();
        int port = server.getValue();
        List<Socket> held = new ArrayList<>();
        try {
          // per client: PER_CLIENT connections from one address are held, one more is closed at once…
          for (int i = 0; i < PER_CLIENT + 1; i++) {
            held.add(RawHttp.connect("127.0.1.1", port, 50));
          }
          Thread.sleep(300);
          // which one is refused is not the client's order: a server on several event loops (the
          // tracker) counts connections in the order its loops accept them
          assertThat(openCount(held)).as(name + ": " + PER_CLIENT + " of " + (PER_CLIENT + 1) + " from one address held")
              .isEqualTo(PER_CLIENT);
          assertThat(held.stream().filter(s -> closedQuietly(s)).count()).as(name + ": one over the per-client cap")
              .isEqualTo(1);
          // …while another address is served
          assertThat(get("127.0.1.9", port, paths.get(name))).as(name + ": another client").isBetween(200, 499);
          // total: two more addresses fill the server to TOTAL; then a fourth address is refused too
          for (int i = 0; i < PER_CLIENT; i++) {
            held.add(RawHttp.connect("127.0.1.2", port, 50));
            held.add(RawHttp.connect("127.0.1.3", port, 50));
          }
          Thread.sleep(300);
          int open = openCount(held);
          // other clients of the process (the seeder announcing to the tracker) may hold a few of the TOTAL
          assertThat(open).as(name + ": held under the total cap").isBetween(TOTAL - 4, TOTAL);
          // (the slots they leave, if any, filled from a fourth address, whose next connection is refused)
          for (int i = open; i < TOTAL; i++) {
            held.add(RawHttp.connect("127.0.1.4", port, 50));
          }
          Socket fourth = RawHttp.connect("127.0.1.4", port, 50);
          held.add(fourth);
          assertThat(closedByServer(fourth, 5000)).as(name + ": one over the total cap").isTrue();
        } finally {
          closeAll(held);
        }
        // freed slots are given again
        Thread.sleep(200);
        assertThat(get("127.0.1.1", port, paths.get(name))).as(name + ": after the flood").isBetween(200, 499);
      }

      // a flood: 20 addresses x 100 connections at the catalog; the server keeps at most TOTAL of them
      List<Socket> flood = new ArrayList<>();
      long fdsPeak;
      long rssPeak;
      int held;
      try {
        for (int a = 1; a <= 20; a++) {
          for (int i = 0; i < 100; i++) {
            flood.add(RawHttp.connect("127.0.2." + a, ports.get("catalog"), 20));
          }
        }
        Thread.sleep(500);
        List<Socket> kept = new ArrayList<>();
        for (Socket s : flood) {
          if (isOpen(s)) {
            kept.add(s);
          } else {
            s.close();
          }
        }
        held = kept.size();
        // our own client sockets are descriptors of this process too: count the server's side only
        fdsPeak = fds() - kept.size();
        rssPeak = rssKiB();
        assertThat(held).as("connections the catalog held of 2000").isBetween(TOTAL - 4, TOTAL);
        assertThat(fdsPeak - fdsBefore).as("the server side's descriptors beyond the start").isLessThanOrEqualTo(TOTAL + 20);
        // and the ones it held, silent, are closed by the request-head timeout
        long start = System.nanoTime();
        for (Socket s : kept) {
          assertThat(closedByServer(s, (HEADER_S + 15) * 1000)).isTrue();
        }
        double waited = (System.nanoTime() - start) / 1e9;
        System.out.printf("flood: %d of 2000 connections held, all closed %.1f s later%n", held, waited);
      } finally {
        closeAll(flood);
      }

      // --------------------------------------------------------------------- timeouts, all servers at once
      ExecutorService pool = Executors.newFixedThreadPool(16);
      try {
        Map<String, Future<Double>> timings = new LinkedHashMap<>();
        for (Map.Entry<String, Integer> server : ports.entrySet()) {
          int port = server.getValue();
          String path = paths.get(server.getKey());
          // silent after connecting: the request-head timeout
          timings.put(server.getKey() + " silent", pool.submit(closedAfter(port, s -> { })));
          // slowloris: a header byte a second, never idle, never a whole head
          timings.put(server.getKey() + " slowloris", pool.submit(closedAfter(port, s -> {
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nX-Slow: ").getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < 60; i++) {
              Thread.sleep(1000);
              out.write('a');
              out.flush();
            }
          })));
          // kept alive after an answer, then silent: closed like a new connection
          timings.put(server.getKey() + " keep-alive", pool.submit(closedAfter(port, s -> {
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            readHead(s.getInputStream());
          })));
          // a body that stops coming: the idle timeout
          String auth = server.getKey().equals("catalog") ? "Authorization: " + stack.bearer() + "\r\n" : "";
          timings.put(server.getKey() + " stalled body", pool.submit(closedAfter(port, s -> {
            s.getOutputStream().write(("POST " + path + " HTTP/1.1\r\nHost: x\r\n" + auth
                + "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n0123456789")
                .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
          })));
        }
        // an event stream stays open through the idle timeout on its heartbeats
        Future<Integer> stream = pool.submit(() -> {
          try (Socket s = RawHttp.connect(null, ports.get("telemetry"), 2000)) {
            s.getOutputStream().write(("GET /api/v1/events/stream HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
            readHead(s.getInputStream());
            int heartbeats = 0;
            long until = System.nanoTime() + (IDLE_S + 6L) * 1_000_000_000L;
            byte[] buffer = new byte[4096];
            while (System.nanoTime() < until) {
              int n = s.getInputStream().read(buffer);
              assertThat(n).as("the stream was closed").isPositive();
              heartbeats += new String(buffer, 0, n, StandardCharsets.US_ASCII).split(": heartbeat", -1).length - 1;
            }
            return heartbeats;
          }
        });
        for (Map.Entry<String, Future<Double>> t : timings.entrySet()) {
          double seconds = t.getValue().get();
          System.out.printf("%s: closed after %.1f s%n", t.getKey(), seconds);
          // a stalled body is the idle timeout's where the route reads it (the catalog's); a server that
          // answers without reading it (405, 401) waits for the next request head instead
          boolean idle = t.getKey().endsWith("stalled body");
          assertThat(seconds).as(t.getKey()).isBetween(HEADER_S - 0.5, (idle ? IDLE_S : HEADER_S) + 15.0);
          if (t.getKey().equals("catalog stalled body")) {
            assertThat(seconds).as(t.getKey()).isGreaterThan(IDLE_S - 0.5);
          }
        }
        assertThat(stream.get()).as("heartbeats over " + (IDLE_S + 6) + " s").isGreaterThanOrEqualTo(IDLE_S / 2);
      } finally {
        pool.shutdownNow();
      }

      // the refusals are counted for Prometheus, per reason and server port
      String metrics = stack.metrics();
      for (Map.Entry<String, Integer> server : ports.entrySet()) {
        for (String reason : List.of("max_connections", "max_connections_per_client", "header_timeout")) {
          assertThat(metrics).as(server.getKey() + " " + reason).containsPattern(
              "boottorrent_http_connections_refused_total\\{[^}]*port=\"" + server.getValue() + "\",reason=\"" + reason
                  + "\"[^}]*} [1-9]");
        }
      }
      Thread.sleep(1000);
      long fdsAfter = fds();
      long rssAfter = rssKiB();
      System.out.printf("open descriptors: %d before, %d at the flood's peak (server side), %d after; "
          + "RSS: %d MiB before, %d MiB at the peak, %d MiB after%n", fdsBefore, fdsPeak, fdsAfter,
          rssBefore / 1024, rssPeak / 1024, rssAfter / 1024);
      assertThat(fdsAfter - fdsBefore).as("descriptors left over").isLessThanOrEqualTo(10);
      assertThat(rssAfter - rssBefore).as("RSS growth, KiB").isLessThan(128 * 1024);
      // the servers still serve
      for (Map.Entry<String, Integer> server : ports.entrySet()) {
        assertThat(get(null, server.getValue(), paths.get(server.getKey()))).as(server.getKey()).isBetween(200, 499);
      }
    }
  }

  /** A connection that {@code action} drives; how long after the action began the server closed it. */
  static Callable<Double> closedAfter(int port, SocketAction action) {
    return () -> {
      try (Socket s = RawHttp.connect(null, port, 100)) {
        long start = System.nanoTime();
        Thread writer = new Thread(() -> {
          try {
            action.run(s);
          } catch (Exception stopped) {
            // the server closed the connection under the writer
          }
        });
        writer.setDaemon(true);
        writer.start();
        writer.join(100);
        // (an answer the action read itself is not seen here)
        assertThat(closedByServer(s, 60_000)).isTrue();
        writer.interrupt();
        return (System.nanoTime() - start) / 1e9;
      }
    };
  }

  @FunctionalInterface
  interface SocketAction {
    void run(Socket s) throws Exception;
  }

  static byte[] chunkedPost(String path, String bearer, int size) {
    StringBuilder out = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        + "Authorization: " + bearer + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int left = size; left > 0; left -= 4096) {
      int n = Math.min(4096, left);
      out.append(Integer.toHexString(n)).append("\r\n").append("x".repeat(n)).append("\r\n");
    }
    return out.append("0\r\n\r\n").toString().getBytes(StandardCharsets.US_ASCII);
  }

  /** The status of a GET from {@code source}. */
  static int get(String source, int port, String path) throws IOException {
    try (Socket s = RawHttp.connect(source, port, 10_000)) {
      s.getOutputStream().write(RawHttp.request("GET", path, List.of(), null));
      return RawHttp.read(s.getInputStream()).status();
    }
  }

  /** Reads one answer's head (status line and headers) and its Content-Length body. */
  static void readHead(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed before the head ended: " + head);
      }
      head.append((char) b);
    }
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
    if (m.find()) {
      in.readNBytes(Integer.parseInt(m.group(1)));
    }
  }

  /** Whether the server closed {@code s} (EOF or reset) within {@code ms}, discarding what it sent before. */
  static boolean closedByServer(Socket s, long ms) throws IOException {
    long until = System.nanoTime() + ms * 1_000_000L;
    byte[] buffer = new byte[4096];
    do {
      try {
        if (s.getInputStream().read(buffer) < 0) {
          return true;
        }
      } catch (SocketTimeoutException quiet) {
        // still open
      } catch (IOException reset) {
        return true;
      }
    } while (System.nanoTime() < until);
    return false;
  }

  /** Whether {@code s} is still open: a read that times out (after 3 ms) rather than ending. */
  /** {@link #isOpen}'s opposite, for a stream: a socket already closed by the server. */
  static boolean closedQuietly(Socket s) {
    try {
      return !isOpen(s);
    } catch (IOException e) {
      return true;
    }
  }

  static boolean isOpen(Socket s) throws IOException {
    int timeout = s.getSoTimeout();
    s.setSoTimeout(3);
    try {
      return !closedByServer(s, 1);
    } finally {
      s.setSoTimeout(timeout);
    }
  }

  static int openCount(List<Socket> sockets) throws IOException {
    int open = 0;
    for (Socket s : sockets) {
      if (isOpen(s)) {
        open++;
      }
    }
    return open;
  }

  static void closeAll(List<Socket> sockets) {
    for (Socket s : sockets) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing
      }
    }
  }

  static long fds() throws IOException {
    try (var list = Files.list(Path.of("/proc/self/fd"))) {
      return list.count();
    }
  }

  static long rssKiB() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", ""));
      }
    }
    throw new IOException("no VmRSS in /proc/self/status");
  }
}
