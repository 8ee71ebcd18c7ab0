package io.boottorrent.catalog;

import io.boottorrent.core.BootEvents;
import io.boottorrent.core.MacAddress;
import io.boottorrent.core.config.ConfigUrls;
import io.boottorrent.proto.Addresses;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.server.Meters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * HTTP boot: the per-machine iPXE script ({@code /boot/ipxe?mac=…}) and the files it and UEFI HTTP
 * boot fetch ({@code /boot/vmlinuz}, {@code /boot/initrd}, {@code /boot/ipxe.efi}, …). Files come from
 * the client-image folder, then the fallback roots (Debian's ipxe package). File names are single path
 * segments of safe characters, so nothing outside those folders can be named.
 *
 * <p>Every script served and every file sent (or failed) is an {@code HTTP_BOOT_FILE} event
 * ({@link BootEvents}) on {@link Addresses#BOOT_EVENT}: the client's address, its MAC when the URL
 * carries {@code ?mac=} (the script's URLs do), and {@code "<file> <bytes> bytes in <ms> ms"}. Each is
 * also counted, with its bytes, in the process's meter registry by kind of file ({@link #bucket}):
 * {@code boottorrent_http_boot_files_total{file, outcome}}, {@code boottorrent_http_boot_sent_bytes_total{file}}.
 */
final class BootHttp {
  static final String PATH = "/boot/";
  private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  private final Vertx vertx;
  private final List<Path> roots;
  private final java.util.function.Supplier<String> extraCmdline;
  private final String publicHost;
  private final BootEvents events = BootEvents.system();
  private final MeterRegistry meters;

  /**
   * @param roots where boot files are looked up, in order: the client image's folder, then fallbacks
   * @param extraCmdline appended to the client kernel's command line, asked at each script (the pinned
   *     key fingerprints change when keys rotate)
   * @param publicHost the catalog's address as machines reach it, for the script's URLs
   */
  BootHttp(Vertx vertx, List<Path> roots, java.util.function.Supplier<String> extraCmdline, String publicHost) {
    this.vertx = vertx;
    this.roots = List.copyOf(roots);
    this.extraCmdline = extraCmdline;
    this.publicHost = publicHost;
    this.meters = Meters.registry(vertx);
    for (String file : new String[] {SCRIPT, KERNEL, INITRD, OTHER}) {
      files(file, "sent");
      files(file, "failed");
      bytes(file);
    }
  }

  /**
   * @param port the plain-HTTP port the boot files are fetched from
   * @param catalogUrl the API's URL the client image's agent is told ({@code boottorrent.catalog=})
   */
  void mount(Router router, java.util.function.IntSupplier port, java.util.function.Supplier<String> catalogUrl) {
    router.get(PATH + "ipxe").handler(ctx -> script(ctx, port.getAsInt(), catalogUrl.get(), "ipxe script", IpxeScript::render));
    router.get(PATH + "grub.cfg").handler(ctx -> script(ctx, port.getAsInt(), catalogUrl.get(), "grub config", GrubScript::render));
    router.get(PATH + ":file").handler(this::file);
    router.head(PATH + ":file").handler(this::file);
  }

  /** How a boot script is written: catalog URL, MAC, extra command line, whether the client image exists. */
  @FunctionalInterface
  interface Renderer {
    String render(String baseUrl, String catalogUrl, String mac, String extraCmdline, boolean clientImageReady);
  }

  /** The iPXE script or the GRUB config for the machine of {@code ?mac=}. */
  private void script(RoutingContext ctx, int port, String catalogUrl, String what, Renderer renderer) {
    String base = ConfigUrls.httpBase(publicHost, port);
    find("vmlinuz").compose(kernel -> find("initrd").map(initrd -> kernel != null && initrd != null))
        .onSuccess(ready -> {
          String script = renderer.render(base, catalogUrl, ctx.request().getParam("mac"), extraCmdline.get(), ready);
          ctx.response().putHeader("Content-Type", "text/plain; charset=utf-8").end(script)
              .onComplete(sent -> count(SCRIPT, sent.succeeded(), ctx.response().bytesWritten()));
          publish(events.httpBootScript(what, ip(ctx), mac(ctx), ready, script.length()));
        })
        .onFailure(ctx::fail);
  }

  private void file(RoutingContext ctx) {
    String name = ctx.pathParam("file");
    if (name == null || !SAFE_NAME.matcher(name).matches()) {
      ctx.fail(new CatalogException(400, "not a boot file name: " + name));
      return;
    }
    find(name).onSuccess(path -> {
      if (path == null) {
        // the folders are the operator's to know, not the network's
        ctx.fail(new CatalogException(404, "no boot file " + name
            + " (looked up in the client image folder and catalog.bootFallbackRoots)"));
      } else {
        long started = System.nanoTime();
        ctx.response().putHeader("Content-Type", "application/octet-stream").sendFile(path.toString())
            .onComplete(sent -> {
              if (ctx.request().method() != HttpMethod.HEAD) {
                long ms = (System.nanoTime() - started) / 1_000_000;
                long bytes = ctx.response().bytesWritten();
                count(bucket(name), sent.succeeded(), bytes);
                publish(sent.succeeded() ? events.httpBootFileSent(ip(ctx), mac(ctx), name, bytes, ms)
                    : events.httpBootFileFailed(ip(ctx), mac(ctx), name, bytes, sent.cause().getMessage()));
              }
            });
      }
    }).onFailure(ctx::fail);
  }

  static final String SCRIPT = "script";
  static final String KERNEL = "kernel";
  static final String INITRD = "initrd";
  static final String OTHER = "other";

  /** The kind of boot file, the {@code file} tag: the client image's kernel and initrd, or any other. */
  static String bucket(String name) {
    return switch (name) {
      case "vmlinuz" -> KERNEL;
      case "initrd" -> INITRD;
      default -> OTHER;
    };
  }

  private void count(String file, boolean sent, long bytes) {
    files(file, sent ? "sent" : "failed").increment();
    bytes(file).increment(bytes);
  }

  private Counter files(String file, String outcome) {
    return Counter.builder("boottorrent.http.boot.files")
        .description("HTTP boot answers (the iPXE script, the client kernel and initrd, other boot files), sent or failed midway")
        .tag("file", file).tag("outcome", outcome).register(meters);
  }

  private Counter bytes(String file) {
    return Counter.builder("boottorrent.http.boot.sent").baseUnit("bytes")
        .description("HTTP boot body bytes written, by kind of file").tag("file", file).register(meters);
  }

  private void publish(BootEvent event) {
    vertx.eventBus().publish(Addresses.BOOT_EVENT, event);
  }

  private static String ip(RoutingContext ctx) {
    SocketAddress remote = ctx.request().remoteAddress();
    return remote == null ? null : remote.hostAddress();
  }

  /** The MAC the script's URLs carry ({@code ?mac=}); absent or unexpanded: none. */
  private static Optional<MacAddress> mac(RoutingContext ctx) {
    return MacAddress.tryParse(ctx.request().getParam("mac"));
  }

  /** The first root that has a regular file of that name, or null. */
  private Future<Path> find(String name) {
    Future<Path> found = Future.succeededFuture(null);
    for (Path root : roots) {
      Path candidate = root.resolve(name);
      found = found.compose(hit -> hit != null ? Future.succeededFuture(hit)
          : vertx.fileSystem().exists(candidate.toString()).compose(exists -> !exists
              ? Future.succeededFuture(null)
              : vertx.fileSystem().props(candidate.toString()).map(p -> p.isRegularFile() ? candidate : null)));
    }
    return found;
  }
}
