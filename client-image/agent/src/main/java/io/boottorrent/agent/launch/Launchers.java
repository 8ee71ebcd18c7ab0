package io.boottorrent.agent.launch;

import io.boottorrent.proto.ImageFile;
import io.boottorrent.proto.ImageKind;
import io.boottorrent.proto.ImageManifest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Builds the command lines that start a verified image. Pure: the files are at
 * {@code imageDir/<path>} as listed in the manifest; running them is {@link ProcessLauncher}'s job.
 */
public final class Launchers {
  public static final String AUTO = "auto";
  public static final String NONE = "none";
  public static final String KEXEC = "kexec";
  public static final String QEMU = "qemu";
  public static final String EXEC = "exec";

  private Launchers() {}

  /** The launcher for an image: the configured one, or by kind when {@code auto}. */
  public static String resolve(String configured, ImageKind kind) {
    String name = configured == null || configured.isBlank() ? AUTO : configured.toLowerCase(Locale.ROOT);
    if (!name.equals(AUTO)) {
      if (!List.of(NONE, KEXEC, QEMU, EXEC).contains(name)) {
        throw new IllegalArgumentException("unknown launcher '" + configured + "' (auto, none, kexec, qemu, exec)");
      }
      return name;
    }
    return switch (kind) {
      case KEXEC -> KEXEC;
      case QEMU -> QEMU;
      case EXEC -> EXEC;
      default -> throw new IllegalArgumentException("image kind " + kind + " has no launcher");
    };
  }

  public static LaunchPlan plan(String launcher, ImageManifest image, Path imageDir, boolean kvm) {
    return switch (launcher) {
      case NONE -> new LaunchPlan(NONE, List.of());
      case KEXEC -> kexec(image, imageDir);
      case QEMU -> qemu(image, imageDir, kvm);
      case EXEC -> exec(image, imageDir);
      default -> throw new IllegalArgumentException("unknown launcher " + launcher);
    };
  }

  static LaunchPlan kexec(ImageManifest image, Path dir) {
    Path kernel = file(image, dir, "kernel").orElseThrow(() -> missing(image, "kernel"));
    List<String> load = new ArrayList<>(List.of("kexec", "--load", kernel.toString()));
    file(image, dir, "initrd").ifPresent(initrd -> load.add("--initrd=" + initrd));
    load.add("--command-line=" + image.getCmdline());
    return new LaunchPlan(KEXEC, List.of(load, List.of("kexec", "--exec")));
  }

  static LaunchPlan qemu(ImageManifest image, Path dir, boolean kvm) {
    Path disk = file(image, dir, "disk").orElseThrow(() -> missing(image, "disk"));
    String name = disk.getFileName().toString().toLowerCase(Locale.ROOT);
    String format = name.endsWith(".qcow2") ? "qcow2" : name.endsWith(".vmdk") ? "vmdk" : "raw";
    List<String> cmd = new ArrayList<>(List.of("qemu-system-x86_64", "-accel", kvm ? "kvm" : "tcg",
        "-m", "1024", "-nographic",
        // snapshot: the downloaded image stays byte-identical, so this machine can keep seeding it
        "-snapshot",
        "-drive", "file=" + disk + ",format=" + format + ",if=virtio"));
    cmd.addAll(image.getArgsList());
    return new LaunchPlan(QEMU, List.of(cmd));
  }

  static LaunchPlan exec(ImageManifest image, Path dir) {
    Path binary = file(image, dir, "binary").orElseThrow(() -> missing(image, "binary"));
    List<String> cmd = new ArrayList<>();
    cmd.add(binary.toString());
    cmd.addAll(image.getArgsList());
    return new LaunchPlan(EXEC, List.of(cmd));
  }

  private static Optional<Path> file(ImageManifest image, Path dir, String role) {
    return image.getFilesList().stream()
        .filter(f -> f.getRole().equals(role))
        .map(ImageFile::getPath)
        .map(dir::resolve)
        .findFirst();
  }

  private static IllegalArgumentException missing(ImageManifest image, String role) {
    return new IllegalArgumentException("image " + image.getName() + " has no " + role + " file");
  }
}
