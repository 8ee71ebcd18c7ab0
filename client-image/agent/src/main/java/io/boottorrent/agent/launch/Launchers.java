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
    return plan(launcher, image, imageDir, kvm, Optional.empty());
  }

  /**
   * @param lockdown the running kernel's lockdown mode ({@link #lockdown()}; Secure Boot turns it on):
   *     kexec then loads through kexec_file_load ({@code kexec -s}), which checks the new kernel's signature
   */
  public static LaunchPlan plan(String launcher, ImageManifest image, Path imageDir, boolean kvm,
      Optional<String> lockdown) {
    return switch (launcher) {
      case NONE -> new LaunchPlan(NONE, List.of());
      case KEXEC -> kexec(image, imageDir, lockdown);
      case QEMU -> qemu(image, imageDir, kvm);
      case EXEC -> exec(image, imageDir);
      default -> throw new IllegalArgumentException("unknown launcher " + launcher);
    };
  }

  static LaunchPlan kexec(ImageManifest image, Path dir, Optional<String> lockdown) {
    Path kernel = file(image, dir, "kernel").orElseThrow(() -> missing(image, "kernel"));
    List<String> load = new ArrayList<>(List.of("kexec", "--load"));
    // Under lockdown the kexec_load syscall is refused outright; kexec_file_load (-s) is allowed and
    // loads only a kernel whose signature this kernel's keyrings (built-in, UEFI db, MOK) accept.
    lockdown.ifPresent(mode -> load.add("--kexec-file-syscall"));
    load.add(kernel.toString());
    file(image, dir, "initrd").ifPresent(initrd -> load.add("--initrd=" + initrd));
    load.add("--command-line=" + image.getCmdline());
    String hint = lockdown.map(mode -> "this kernel is locked down (" + mode + ", Secure Boot), so kexec loads only a "
        + "kernel signed by a key it trusts (Debian's, or one in the firmware's db or MOK): is "
        + kernel.getFileName() + " of image " + image.getName() + " signed? (sbverify --list)").orElse("");
    return new LaunchPlan(KEXEC, List.of(load, List.of("kexec", "--exec")), hint);
  }

  /** Where the kernel says whether it is locked down: {@code none [integrity] confidentiality}. */
  static final Path LOCKDOWN = Path.of("/sys/kernel/security/lockdown");

  /** The running kernel's lockdown mode, if it is locked down; empty when not or unknown. Reads a file. */
  public static Optional<String> lockdown() {
    try {
      return parseLockdown(java.nio.file.Files.readString(LOCKDOWN));
    } catch (java.io.IOException | SecurityException e) {
      return Optional.empty(); // no securityfs: no lockdown to know of
    }
  }

  /** The bracketed (active) mode of a lockdown file's text unless it is {@code none}. */
  static Optional<String> parseLockdown(String text) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\[(\\w+)]").matcher(text);
    return m.find() && !m.group(1).equals("none") ? Optional.of(m.group(1)) : Optional.empty();
  }

  static LaunchPlan qemu(ImageManifest image, Path dir, boolean kvm) {
    Path disk = file(image, dir, "disk").orElseThrow(() -> missing(image, "disk"));
    return qemu(image, disk.toString(), format(disk.getFileName().toString()), kvm);
  }

  /**
   * The qemu launcher on a disk served over NBD while it downloads ({@code uri}: the agent's export of
   * the image's disk file, in the file's own format).
   */
  public static LaunchPlan qemuStreaming(ImageManifest image, String uri, boolean kvm) {
    String disk = image.getFilesList().stream().filter(f -> f.getRole().equals("disk")).map(ImageFile::getPath)
        .findFirst().orElseThrow(() -> missing(image, "disk"));
    return qemu(image, uri, format(Path.of(disk).getFileName().toString()), kvm);
  }

  private static String format(String fileName) {
    String name = fileName.toLowerCase(Locale.ROOT);
    return name.endsWith(".qcow2") ? "qcow2" : name.endsWith(".vmdk") ? "vmdk" : "raw";
  }

  private static LaunchPlan qemu(ImageManifest image, String drive, String format, boolean kvm) {
    List<String> cmd = new ArrayList<>(List.of("qemu-system-x86_64", "-accel", kvm ? "kvm" : "tcg",
        "-m", "1024", "-nographic",
        // snapshot: guest writes go to a temporary overlay, the image stays byte-identical (it is seeded)
        "-snapshot",
        "-drive", "file=" + drive + ",format=" + format + ",if=virtio"));
    cmd.addAll(image.getArgsList());
    return new LaunchPlan(QEMU, List.of(cmd));
  }

  /** The path of the image's file in {@code role} (kernel, initrd, disk, binary), relative to its folder. */
  public static Optional<String> relativePath(ImageManifest image, String role) {
    return image.getFilesList().stream().filter(f -> f.getRole().equals(role)).map(ImageFile::getPath).findFirst();
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
