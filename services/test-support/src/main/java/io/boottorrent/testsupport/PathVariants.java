package io.boottorrent.testsupport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The path-traversal variants every file-serving and importing path is tried with (web seed, /boot/,
 * TFTP, image import), what each path must answer, and the table docs/SECURITY.md shows (the catalog's
 * {@code PathTableDocTest} keeps the two equal). Each path's test sends {@link Variant#request} for
 * real and compares what came back with {@link Variant#expected}.
 *
 * <p>The requests are relative to the path's root, {@link Lab} lays that root out: {@value #FILE} (a
 * file to serve), {@code sub/y.bin}, symlinks and hard links in and out, and {@code secret} beside
 * the root (what an escape would reach). Templates: {@code {file}} is the path's servable file name,
 * {@code {parent}} the name of the root's parent folder.
 */
public final class PathVariants {
  /** The file every lab root holds; the web seed uses its image's own file name instead. */
  public static final String FILE = "boot.bin";
  /** Content of {@code secret} and the other files outside the root: served, it shows in a body. */
  public static final String SECRET = "secret outside the root\n";

  /** The paths that open a file by a name someone else supplies. */
  public enum Where {
    WEB_SEED("web seed /seed/"), BOOT("/boot/"), TFTP("TFTP"), IMPORT("image import");

    public final String title;

    Where(String title) {
      this.title = title;
    }
  }

  /** What a path does with a request; each path renders it as its protocol's answer. */
  public enum Outcome {
    SERVED, BAD_NAME, OUTSIDE, NOT_FOUND,
    /** Refused by the protocol before any name is looked at: TFTP ends the name at the NUL (error 4, bad mode). */
    PROTOCOL;

    /** The answer on the wire: HTTP status, TFTP ERROR code, import status. */
    public String cell(Where where) {
      return switch (where) {
        case WEB_SEED, BOOT -> switch (this) {
          case SERVED -> "200";
          case BAD_NAME, PROTOCOL -> "400";
          case OUTSIDE -> "403";
          case NOT_FOUND -> "404";
        };
        case TFTP -> switch (this) {
          case SERVED -> "served";
          case BAD_NAME, OUTSIDE -> "error 2";
          case NOT_FOUND -> "error 1";
          case PROTOCOL -> "error 4";
        };
        case IMPORT -> switch (this) {
          case SERVED -> "201";
          case BAD_NAME, PROTOCOL -> "400";
          case OUTSIDE -> "403";
          case NOT_FOUND -> "422";
        };
      };
    }

    public int httpStatus() {
      return Integer.parseInt(cell(Where.BOOT));
    }

    public int importStatus() {
      return Integer.parseInt(cell(Where.IMPORT));
    }
  }

  /** What a file-system variant plants in the root (the web seed plants it at its image's file). */
  public enum Plant {
    NONE, LINK_IN, LINK_OUT, DIR_OUT, LOOP, HARD_FOREIGN, HARD_OWN
  }

  /**
   * One variant.
   *
   * @param label the table's first column
   * @param request the name as the client sends it, relative to the root (templates above)
   * @param plant what the variant needs in the root
   */
  public record Variant(String label, String request, Plant plant, Map<Where, Outcome> expected) {
    /** The request with {@code {file}} and {@code {parent}} filled in. */
    public String request(String file, String parent) {
      return request.replace("{file}", file).replace("{parent}", parent);
    }

    public Outcome expected(Where where) {
      return expected.get(where);
    }

    /** The request as the table shows it (NUL and backslash visible). */
    String shown() {
      if (request.length() > 40 && request.chars().distinct().count() == 1) {
        return "`" + request.charAt(0) + "` × " + request.length(); // a run of one character
      }
      return "`" + request.replace("\0", "\\0").replace("|", "\\|") + "`";
    }
  }

  private static final Outcome S = Outcome.SERVED;
  private static final Outcome B = Outcome.BAD_NAME;
  private static final Outcome O = Outcome.OUTSIDE;
  private static final Outcome N = Outcome.NOT_FOUND;

  /** Every variant, in the table's order; outcomes per path: web seed, /boot/, TFTP, import. */
  public static final List<Variant> ALL = List.of(
      v("the file itself", "{file}", Plant.NONE, S, S, S, S),
      v("`..`", "../secret", Plant.NONE, N, N, B, B),
      v("`../..`", "../../{parent}/secret", Plant.NONE, N, N, B, B),
      v("`%2e%2e/`", "%2e%2e/secret", Plant.NONE, N, N, B, B),
      v("`%2e%2e%2f`", "%2e%2e%2fsecret", Plant.NONE, B, B, B, B),
      v("`%252e%252e%252f` (double-encoded)", "%252e%252e%252fsecret", Plant.NONE, B, B, B, B),
      v("`..%5c`", "..%5csecret", Plant.NONE, B, B, B, B),
      v("`..\\`", "..\\secret", Plant.NONE, B, B, B, B),
      v("`/etc/passwd` (absolute)", "/etc/passwd", Plant.NONE, N, N, N, O),
      v("`C:\\x` (drive letter)", "C:\\secret", Plant.NONE, B, B, B, B),
      v("`C:x` (drive-relative)", "C:secret", Plant.NONE, B, B, B, B),
      v("`a%00b` (encoded NUL)", "a%00b", Plant.NONE, B, B, B, B),
      v("raw NUL", "a\0b", Plant.NONE, B, B, Outcome.PROTOCOL, B),
      v("`./x`", "./{file}", Plant.NONE, S, S, S, S),
      v("`x/./y`", "sub/./y.bin", Plant.NONE, N, S, S, S),
      v("`.`", ".", Plant.NONE, B, N, N, N),
      v("`...`", "...", Plant.NONE, B, B, B, B),
      v("hidden file `.x`", ".hidden", Plant.NONE, B, B, B, B),
      v("trailing `/`", "{file}/", Plant.NONE, B, B, B, B),
      v("a folder", "sub", Plant.NONE, N, N, N, N),
      v("very long name (300 characters)", "a".repeat(300), Plant.NONE, B, B, B, B),
      v("symlink to a file inside", "link-in", Plant.LINK_IN, S, S, S, S),
      v("symlink to a file outside", "link-out", Plant.LINK_OUT, O, O, O, O),
      v("symlink to a folder outside", "dir-out/secret", Plant.DIR_OUT, O, O, O, O),
      v("symlink loop", "loop", Plant.LOOP, N, N, N, N),
      v("hard link to another owner's file outside", "hard-out", Plant.HARD_FOREIGN, O, O, O, O),
      v("hard link to an own file outside", "hard-own", Plant.HARD_OWN, S, S, S, S));

  private static Variant v(String label, String request, Plant plant, Outcome seed, Outcome boot, Outcome tftp,
      Outcome imp) {
    Map<Where, Outcome> expected = new EnumMap<>(Where.class);
    expected.put(Where.WEB_SEED, seed);
    expected.put(Where.BOOT, boot);
    expected.put(Where.TFTP, tftp);
    expected.put(Where.IMPORT, imp);
    return new Variant(label, request, plant, Map.copyOf(expected));
  }

  private PathVariants() {}

  /** The table of docs/SECURITY.md: variant × request × the four paths. */
  public static String markdownTable() {
    StringBuilder out = new StringBuilder("| variant | request (relative to the root) |");
    for (Where w : Where.values()) {
      out.append(' ').append(w.title).append(" |");
    }
    out.append("\n|---|---|");
    out.append("---|".repeat(Where.values().length)).append('\n');
    for (Variant v : ALL) {
      out.append("| ").append(v.label()).append(" | ").append(v.shown()).append(" |");
      for (Where w : Where.values()) {
        out.append(' ').append(v.expected(w).cell(w)).append(" |");
      }
      out.append('\n');
    }
    return out.toString();
  }

  /** The uid the foreign file belongs to (nobody): the hard-link check needs another owner than the root's. */
  public static final String FOREIGN_USER = "nobody";

  /**
   * A root laid out for every variant, with {@code secret}, {@code outdir/secret}, {@code foreign}
   * (owned by {@value #FOREIGN_USER}; needs root) and {@code own} beside it.
   */
  public record Lab(Path root, Path outside) {
    /** The root's parent's name, for {@code {parent}}. */
    public String parent() {
      return root.getParent().getFileName().toString();
    }

    /** The bytes a served variant must return: those of {@value #FILE} (link-in, ./x) or the others. */
    public byte[] servedBytes(Variant v) throws IOException {
      return switch (v.plant()) {
        case HARD_OWN -> Files.readAllBytes(outside.resolve("own"));
        default -> v.request().startsWith("sub/") ? Files.readAllBytes(root.resolve("sub/y.bin"))
            : Files.readAllBytes(root.resolve(FILE));
      };
    }
  }

  /**
   * Creates {@code <base>/<rootName>} with {@value #FILE} ({@code content}), {@code sub/y.bin}, and
   * every variant's plant under its request's name; the outside files beside it.
   */
  public static Lab lab(Path base, String rootName, byte[] content) throws IOException {
    Path root = Files.createDirectories(base.resolve(rootName));
    Files.write(root.resolve(FILE), content);
    Files.createDirectories(root.resolve("sub"));
    Files.writeString(root.resolve("sub/y.bin"), "y\n");
    Lab lab = new Lab(root, base);
    outside(base);
    for (Variant v : ALL) {
      if (v.plant() != Plant.NONE) {
        plant(lab, v.plant(), root.resolve(v.request().split("/")[0]), root.resolve(FILE));
      }
    }
    return lab;
  }

  private static void outside(Path base) throws IOException {
    if (!Files.exists(base.resolve("secret"))) {
      Files.writeString(base.resolve("secret"), SECRET);
      Files.createDirectories(base.resolve("outdir"));
      Files.writeString(base.resolve("outdir/secret"), SECRET);
      Files.writeString(base.resolve("own"), SECRET);
      Path foreign = Files.writeString(base.resolve("foreign"), SECRET);
      UserPrincipal nobody = foreign.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(FOREIGN_USER);
      Files.setOwner(foreign, nobody); // only root may: the tests gate on it
    }
  }

  /**
   * Plants {@code plant} at {@code at} (replacing what is there); {@code inside} is the file a
   * symlink inside points to. The outside files are those beside the lab's root.
   */
  public static void plant(Lab lab, Plant plant, Path at, Path inside) throws IOException {
    Files.deleteIfExists(at);
    Path out = lab.outside();
    switch (plant) {
      case NONE -> { }
      case LINK_IN -> Files.createSymbolicLink(at, inside);
      case LINK_OUT -> Files.createSymbolicLink(at, out.resolve("secret"));
      case DIR_OUT -> Files.createSymbolicLink(at, out.resolve("outdir"));
      case LOOP -> Files.createSymbolicLink(at, at);
      case HARD_FOREIGN -> Files.createLink(at, out.resolve("foreign"));
      case HARD_OWN -> Files.createLink(at, out.resolve("own"));
    }
  }

  /** The labels of {@link #ALL}, for messages. */
  public static List<String> labels() {
    List<String> labels = new ArrayList<>();
    ALL.forEach(v -> labels.add(v.label()));
    return labels;
  }

  /** ASCII bytes of a request (TFTP names and raw HTTP request lines carry the name's bytes). */
  public static byte[] bytes(String request) {
    return request.getBytes(StandardCharsets.UTF_8);
  }
}
