package io.boottorrent.telemetry;

import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The dashboard's HTML pages: one shell ({@code dashboard/shell.html}: head, stylesheet, the page's
 * script, the header that {@code common.js} fills) around each page's own body
 * ({@code dashboard/<page>.html}), put together once when telemetry starts. The scripts, styles and
 * icon are plain files under {@code webroot/}.
 */
final class DashboardPages {
  /** A page: the file name browsers ask for, its id (its script {@code js/<id>.js}, its body), its title. */
  record Page(String file, String id, String title) {
  }

  static final List<Page> PAGES = List.of(
      new Page("index.html", "live", "Live"),
      new Page("machine.html", "machine", "Machine"),
      new Page("images.html", "images", "Images"),
      new Page("policy.html", "policy", "Policy"));

  private static final String FOLDER = "dashboard/";

  private DashboardPages() {
  }

  /** Every page by file name, from the classpath (blocking: a worker's job). */
  static Map<String, Buffer> load() {
    String shell = resource(FOLDER + "shell.html");
    Map<String, Buffer> pages = new LinkedHashMap<>();
    for (Page page : PAGES) {
      pages.put(page.file(), Buffer.buffer(assemble(shell, page, resource(FOLDER + page.id() + ".html"))));
    }
    return Map.copyOf(pages);
  }

  static String assemble(String shell, Page page, String body) {
    return shell.replace("{{title}}", page.title()).replace("{{page}}", page.id()).replace("{{body}}", body);
  }

  private static String resource(String name) {
    try (InputStream in = DashboardPages.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("dashboard page missing from the classpath: " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + name, e);
    }
  }
}
