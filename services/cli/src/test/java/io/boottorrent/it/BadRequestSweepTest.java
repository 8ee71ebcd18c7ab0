package io.boottorrent.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every route of every HTTP server of a process (catalog, telemetry, tracker, health), thrown
 * malformed requests over a raw socket: NUL, %00, control bytes, traversal forms and huge values in
 * path segments, query parameters and headers; garbage, truncated and mistyped JSON and protobuf
 * bodies under right and wrong content types; unknown methods; with and without a token. Each must
 * be answered below 500, and no answer may name a file of the server.
 */
class BadRequestSweepTest {
  /** Path-segment values (already percent-encoded where the encoding is the point; raw bytes where they are). */
  static final List<String> SEGMENTS = List.of("demo", "DEMO", "%00", "demo%00", "demo%00.iso", "a%00b%00c",
      "%01%02%1b%5b2J", "%7f", "%0d%0aX-Injected:%201", "..", "%2e%2e", "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
      "..%2f..%2f..%2fetc%2fpasswd", "%252e%252e%252f", "..%5c..%5cwindows", "%c0%ae%c0%ae%c0%af", "%ff%fe",
      "%", "%zz", "%e2%80%ae", "%f0%9f%92%a3", "-", "%20", "~", "con", "a".repeat(300), "b".repeat(12_000),
      "52:54:00:12:34:56", "52%3a54%3a00%3a12%3a34%3a56", "ZZ:ZZ:ZZ:ZZ:ZZ:ZZ", "%00%00%00%00%00%00",
      "\u0001", "\u001b[31m");
  static final List<String> QUERIES = List.of("", "?", "?mac=%00", "?mac=zz", "?mac=" + "f".repeat(5000),
      "?limit=-1&offset=-1", "?limit=99999999999999999999&offset=1e9", "?since=abc&until=%00", "?since=-9223372036854775808",
      "?stage=%00&phase=%ff&stalled=maybe&image=%2e%2e", "?nonce=%00", "?nonce=" + "n".repeat(200), "?%00=%00",
      "?limit=1&limit=2", "?ticket=%00", "?ticket=" + "t".repeat(4000), "?mac=%01%1b&image=demo%00",
      "?info_hash=%00&peer_id=x&port=99999", "?info_hash=" + "%ff".repeat(20) + "&peer_id=" + "%00".repeat(20)
          + "&port=-1&uploaded=-5&downloaded=x&left=%00&event=bogus&numwant=999999999&compact=7",
      "?info_hash=" + "%41".repeat(19), "?x=" + "x".repeat(15_000), "?mac=%zz&limit=%", "?info_hash=%g1%&peer_id=%",
      "?image=%e2%80&mac=%c0%ae");
  static final List<String> METHODS = List.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS",
      "TRACE", "BREW", "PROPFIND", "get", "CONNECT");
  static final List<byte[]> BODIES = List.of(new byte[0], bytes("{"), bytes("{\"name\":"), bytes("null"),
      bytes("[]"), bytes("\"x\""), bytes("{\"name\": 5, \"kind\": \"BOGUS\", \"files\": {}}"),
      bytes("{\"name\":\"a\\u0000b\",\"kind\":\"KEXEC\",\"kernel\":\"k%00\",\"initrd\":\"..\\\\..\"}"),
      bytes("{\"name\":\"nul\",\"kind\":\"KEXEC\",\"kernel\":\"import/a\\u0000b\",\"initrd\":\"\\u0000\"}"),
      bytes("{\"name\":\"nul2\",\"kind\":\"QEMU\",\"disk\":\"x\\u0000\\u0001\",\"args\":[\"\\u0000\"]}"),
      bytes("{\"name\":\"nul4\",\"kind\":\"EXEC\",\"binary\":\"import/\\u0000\"}"),
      bytes("{\"name\":\"nul3\",\"kind\":\"KEXEC\",\"kernel\":\"\\u0000/../../x\",\"initrd\":\"a\\\\..\\\\b\"}"),
      bytes("{\"unknownField\": true}"), bytes("{\"rules\": [{\"mac\": \"%00\", \"image\": \"\\u0000\"}]}"),
      new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0a, 0x7f}, new byte[] {0x0a, (byte) 0xff, 0x01, 0x02},
      new byte[] {0x12, 0x7f, 0x41}, bytes("{\"mac\":\"52:54:00:12:34:56\",\"stage\":\"NOPE\",\"ms\":-1}"),
      bytes("{\"name\":\"" + "n".repeat(100_000) + "\"}"), bytes("{\"a\":" + "[".repeat(5000)));
  static final List<String> CONTENT_TYPES = List.of("application/json", "application/x-protobuf", "text/plain",
      "application/json; charset=ebcdic", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "");
  static final List<String> HEADERS = List.of("Range: bytes=abc", "Range: bytes=-0", "Range: bytes=99999999999999999999-",
      "Range: bytes=5-1", "Range: bytes=0-1,2-3,4-5,6-7,8-9", "If-Range: %00", "Accept: application/x-protobuf",
      "Accept: \u0001", "X-Forwarded-For: %00, 999.1.1.1", "Origin: null", "Authorization: Basic %00",
      "Authorization: Bearer " + "z".repeat(3000), "Authorization: Bearer", "Accept-Encoding: gzip;q=%00", "Cookie: " + "c".repeat(8000), "Expect: 100-continue",
      "Content-Length: x", "Content-Length: -1", "Host: %00");

  /** The routes that read a request body (POST or PUT). */
  static final java.util.Set<String> BODY_ROUTES = java.util.Set.of("/api/v1/images", "/api/v1/policy",
      "/api/v1/tokens", "/api/v1/events", "/api/v1/keys/rotate", "/api/v1/tickets", "/announce", "/eventbus/{v}/{v}/xhr_streaming");

  record Route(String server, String template) {}

  @Test
  @Timeout(600)
  void everyMalformedRequestToEveryRouteIsAnsweredBelow500WithoutServerPaths(@TempDir Path dir) throws Exception {
    try (Stack stack = new Stack(dir, 0, true)) {
      stack.addImage("demo", 1 << 20);
      Map<String, Integer> ports = Map.of(
          "catalog", stack.config.getJsonObject("catalog").getInteger("httpPort"),
          "telemetry", stack.config.getJsonObject("telemetry").getInteger("httpPort"),
          "tracker", stack.config.getJsonObject("tracker").getInteger("httpPort"),
          "health", stack.healthPort());
      List<Route> routes = new ArrayList<>();
      for (String t : List.of("/api/v1/images", "/api/v1/images/{v}", "/api/v1/images/{v}/torrent", "/api/v1/boot/{v}",
          "/api/v1/events", "/api/v1/policy", "/api/v1/stats", "/api/v1/keys", "/api/v1/keys/rotate", "/api/v1/tokens",
          "/api/v1/tokens/{v}", "/seed/{v}", "/seed/demo/{v}", "/seed/{v}/vmlinuz", "/seed/demo/vmlinuz",
          "/boot/ipxe", "/boot/grub.cfg", "/boot/{v}", "/{v}", "/api/v1/{v}")) {
        routes.add(new Route("catalog", t));
      }
      for (String t : List.of("/api/v1/events", "/api/v1/events/stream", "/api/v1/machines", "/api/v1/machines/{v}",
          "/api/v1/storms", "/api/v1/swarms", "/api/v1/tickets", "/eventbus/info", "/eventbus/{v}/{v}/xhr_streaming",
          "/eventbus/{v}", "/", "/dashboard", "/dashboard/", "/dashboard/config.json", "/dashboard/{v}", "/{v}")) {
        routes.add(new Route("telemetry", t));
      }
      for (String t : List.of("/announce", "/scrape", "/{v}")) {
        routes.add(new Route("tracker", t));
      }
      for (String t : List.of("/health", "/readiness", "/metrics", "/{v}")) {
        routes.add(new Route("health", t));
      }
      List<String> auths = List.of("", "Authorization: " + stack.bearer(), "Authorization: Bearer garbage");
      List<String> failures = new ArrayList<>();
      Map<Integer, Integer> statuses = new TreeMap<>();
      Map<String, Integer> perServer = new LinkedHashMap<>();
      int[] cases = {0};
      List<String> slow = new ArrayList<>();
      Case check = (route, method, target, headers, body) -> {
        // (RawHttp stops at the head of an event stream or a SockJS streaming transport: they never end)
        long started = System.nanoTime();
        RawHttp.Answer answer = RawHttp.exchange(ports.get(route.server()),
            RawHttp.request(method, target, headers, body), 3_000);
        cases[0]++;
        long ms = (System.nanoTime() - started) / 1_000_000;
        if (ms > 1000) {
          slow.add(ms + " ms: " + route.server() + " " + method + " " + printable(target) + " " + headers);
        }
        perServer.merge(route.server(), 1, Integer::sum);
        statuses.merge(answer.status(), 1, Integer::sum);
        String what = route.server() + " " + method + " " + printable(target) + " " + headers + " body "
            + (body == null ? "none" : body.length + " bytes") + " -> " + answer.status() + " "
            + printable(answer.bodyText().substring(0, Math.min(300, answer.bodyText().length())));
        if (answer.status() >= 500) {
          failures.add(what);
        } else if (leaksPath(answer.head() + answer.bodyText(), dir) && !route.template().equals("/metrics")) {
          failures.add("server path in: " + what);
        }
      };
      SplittableRandom random = new SplittableRandom(13);
      for (Route route : routes) {
        String valid = route.template().replace("{v}", "demo");
        // every method, with and without a token
        for (String method : METHODS) {
          for (String auth : auths) {
            if (method.equals("DELETE") && valid.startsWith("/api/v1/images/demo") && auth.equals(auths.get(1))) {
              continue; // keeps the image the other cases read
            }
            check.run(route, method, valid, auth.isEmpty() ? List.of() : List.of(auth), null);
          }
        }
        // every hostile segment value (if the route has one) and query, read with a token
        if (route.template().contains("{v}")) {
          for (String v : SEGMENTS) {
            for (String method : List.of("GET", "HEAD", "DELETE")) {
              if (method.equals("DELETE") && v.equals("demo")) {
                continue; // keeps the image the other cases read
              }
              check.run(route, method, route.template().replace("{v}", v), List.of(auths.get(1)), null);
            }
          }
        }
        for (String q : QUERIES) {
          check.run(route, "GET", valid + q, List.of(auths.get(1)), null);
        }
        for (String h : HEADERS) {
          check.run(route, "GET", valid, List.of(h), null);
        }
        // every body under every content type, to the methods that carry one (where a route takes a body;
        // elsewhere under JSON only)
        boolean takesBody = BODY_ROUTES.contains(route.template());
        for (String method : List.of("POST", "PUT")) {
          for (byte[] body : BODIES) {
            for (String type : takesBody ? CONTENT_TYPES : List.of("application/json")) {
              List<String> headers = new ArrayList<>(List.of(auths.get(1)));
              if (!type.isEmpty()) {
                headers.add("Content-Type: " + type);
              }
              check.run(route, method, valid, headers, body);
            }
          }
        }
        // and random mixtures of all of the above
        for (int i = 0; i < 40; i++) {
          String target = route.template().replace("{v}", pick(random, SEGMENTS)) + pick(random, QUERIES);
          List<String> headers = new ArrayList<>();
          headers.add(pick(random, HEADERS));
          String auth = pick(random, auths);
          if (!auth.isEmpty()) {
            headers.add(auth);
          }
          headers.add("Content-Type: " + pick(random, CONTENT_TYPES));
          String method = pick(random, METHODS);
          if (method.equals("DELETE") && target.startsWith("/api/v1/images/demo")) {
            method = "GET";
          }
          check.run(route, method, target, headers, random.nextBoolean() ? pick(random, BODIES) : null);
        }
      }
      System.out.printf("bad-request sweep: %d requests (%s), statuses %s, %d failures, %d slower than 1 s%n",
          cases[0], perServer, statuses, failures.size(), slow.size());
      slow.stream().limit(20).forEach(System.out::println);
      failures.stream().limit(200).forEach(System.out::println);
      assertThat(failures).as("answers of 500 or more, or naming a server path").isEmpty();
      // AND the servers still serve
      assertThat(stack.get("/api/v1/images/demo")).contains("\"demo\"");
    }
  }

  @FunctionalInterface
  interface Case {
    void run(Route route, String method, String target, List<String> headers, byte[] body) throws Exception;
  }

  /** Whether {@code text} names a file of the server: its data dir, system folders, a stack trace. */
  static boolean leaksPath(String text, Path dataDir) {
    return text.contains(dataDir.toString()) || text.contains("/tmp/") || text.contains("/usr/")
        || text.contains("/work/") || text.contains("/root/") || text.contains("/proc/") || text.contains("/var/")
        || text.contains("\tat ") || text.contains(".java:");
  }

  static <T> T pick(SplittableRandom random, List<T> from) {
    return from.get(random.nextInt(from.size()));
  }

  static String printable(String s) {
    StringBuilder out = new StringBuilder();
    for (char c : s.toCharArray()) {
      out.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
    }
    return out.length() > 200 ? out.substring(0, 200) + "…(" + s.length() + ")" : out.toString();
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
