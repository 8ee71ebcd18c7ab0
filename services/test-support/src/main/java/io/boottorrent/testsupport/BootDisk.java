package io.boottorrent.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A bootable raw test disk for the streaming-boot tests (issue 15): an MBR with one FAT partition
 * holding syslinux, Debian's stock kernel ({@code client-image/fetch-kernel.sh}, cached) and a busybox
 * initrd whose /init prints {@link #MARKER} on the serial console and powers off; then zeros up to the
 * requested size that the boot never reads. The layout is built by {@code bench/lib/make-boot-disk.sh}
 * (the bench calls the same script), without root or loop devices; this class fetches the kernel,
 * writes the initrd and calls it. The padding is a hole in the file: see the script for why zeros.
 *
 * @param image the raw disk
 * @param size its size in bytes
 * @param kernel the kernel on it (a copy outside the disk)
 * @param initrd the initrd on it (a copy outside the disk)
 * @param kernelVersion e.g. {@code 6.1.0-57-amd64}
 */
public record BootDisk(Path image, long size, Path kernel, Path initrd, String kernelVersion) {
  /** What the initrd's /init prints on ttyS0, followed by {@code ", cmdline: ..."}. */
  public static final String MARKER = "BOOTTORRENT-STREAM-MARKER";
  /** The default size, as the issue asks: at least 1 GiB. */
  public static final long DEFAULT_SIZE = 1L << 30;
  /** The fetch may download ~70 MB once; the build itself takes well under a second. */
  private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(600);
  private static final Duration BUILD_TIMEOUT = Duration.ofSeconds(60);

  /**
   * Builds {@code dir/disk.img} of {@code size} bytes (with {@code dir/vmlinuz} and {@code dir/initrd}
   * beside it). Skips through {@link Gate} when a tool or the kernel is missing.
   */
  public static BootDisk build(Path dir, long size) throws IOException, InterruptedException {
    if (size < (34L << 20)) {
      throw new IllegalArgumentException("boot disk size " + size + " is below 34 MiB (1 MiB MBR gap + 32 MiB partition)");
    }
    Path repo = repoRoot();
    for (String[] tool : new String[][] {{"syslinux", "syslinux"}, {"mcopy", "mtools"}, {"mkfs.vfat", "dosfstools"}}) {
      Gate.requireCommand(tool[0], tool[1]);
    }
    Gate.require(Files.isReadable(Path.of("/usr/lib/syslinux/mbr/mbr.bin")), "no /usr/lib/syslinux/mbr/mbr.bin "
        + "(apt-get install syslinux-common)");
    Gate.require(Initramfs.isStaticElf(Path.of("/bin/busybox")), "/bin/busybox is not a static binary "
        + "(apt-get install busybox-static)");
    Files.createDirectories(dir);
    // The kernel cache may be set in the environment, which Proc does not pass on by itself.
    Proc.Result fetched = Proc.command(repo.resolve("client-image/fetch-kernel.sh").toString(), dir.toString())
        .env("BOOTTORRENT_KERNEL_CACHE", System.getenv("BOOTTORRENT_KERNEL_CACHE")).exec(FETCH_TIMEOUT);
    Gate.require(fetched.ok(), "client-image/fetch-kernel.sh could not get Debian's kernel "
        + "(network or apt lists missing?):\n" + fetched.output());
    Path kernel = dir.resolve("vmlinuz");
    Path initrd = dir.resolve("initrd");
    Files.write(initrd, Initramfs.busyboxMarker(MARKER));
    Path image = dir.resolve("disk.img");
    Proc.command(repo.resolve("bench/lib/make-boot-disk.sh").toString(), kernel.toString(), initrd.toString(),
        image.toString(), Long.toString(size)).run(BUILD_TIMEOUT);
    return new BootDisk(image, Files.size(image), kernel, initrd,
        Files.readString(dir.resolve("vmlinuz.version")).trim());
  }

  /** {@link #build(Path, long)} with {@link #DEFAULT_SIZE}. */
  public static BootDisk build(Path dir) throws IOException, InterruptedException {
    return build(dir, DEFAULT_SIZE);
  }

  /**
   * The QEMU command that boots a disk from {@code drive} ({@code file=...} of {@code -drive}: a path or
   * an {@code nbd://} / {@code nbd+unix://} URL) with SeaBIOS under TCG, the console on stdio, guest
   * writes to a throw-away overlay ({@code snapshot=on}) and no network.
   */
  public static List<String> qemuCommand(String drive) {
    if (drive.contains(",")) {
      // QEMU's option syntax would read the rest as further drive options.
      throw new IllegalArgumentException("drive '" + drive + "' contains a comma");
    }
    List<String> command = new ArrayList<>(List.of(Gate.which("qemu-system-x86_64").map(Path::toString)
        .orElse("qemu-system-x86_64"), "-accel", "tcg", "-m", "512", "-nographic", "-no-reboot", "-nic", "none",
        "-drive", "file=" + drive + ",format=raw,snapshot=on"));
    return List.copyOf(command);
  }

  /** The bytes the image occupies on disk (st_blocks; Java 17 has no attribute for it): the holes do not count. */
  public long allocatedBytes() throws IOException, InterruptedException {
    String[] blocksAndUnit = Proc.command("stat", "-c", "%b %B", image.toString()).run(BUILD_TIMEOUT).trim().split(" ");
    return Long.parseLong(blocksAndUnit[0]) * Long.parseLong(blocksAndUnit[1]);
  }

  /** The repository: the first folder above the working directory with both scripts. */
  public static Path repoRoot() {
    Path from = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    for (Path p = from; p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("bench/lib/make-boot-disk.sh"))
          && Files.isRegularFile(p.resolve("client-image/fetch-kernel.sh"))) {
        return p;
      }
    }
    throw new IllegalStateException("no bench/lib/make-boot-disk.sh and client-image/fetch-kernel.sh above " + from);
  }
}
