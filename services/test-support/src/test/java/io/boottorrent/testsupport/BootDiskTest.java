package io.boottorrent.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.testsupport.Proc.Line;
import io.boottorrent.testsupport.Proc.Match;
import io.boottorrent.testsupport.Proc.Running;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streaming-boot test disk really boots: SeaBIOS, syslinux, Debian's kernel and the marker initrd
 * under QEMU (TCG), from the file and from an NBD export through nbdkit's log filter, which shows what
 * the boot reads: the first megabytes only, never the padding.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class BootDiskTest {
  private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(180);
  /** nbdkit's log filter: {@code connection=1 Read id=7 offset=0x100000 count=0x200 ...}. */
  private static final Pattern READ = Pattern.compile(" Read id=\\d+ offset=0x([0-9a-f]+) count=0x([0-9a-f]+) \\.\\.\\.$");
  private static final long PIECE = 1L << 20;

  @TempDir static Path dir;
  static BootDisk disk;

  @BeforeAll
  static void build() throws Exception {
    Gate.requireCommand("qemu-system-x86_64", "qemu-system-x86");
    long start = System.nanoTime();
    disk = BootDisk.build(dir.resolve("disk"));
    System.out.printf("boot disk: %d bytes, %d allocated, kernel %s, built in %.2f s (with the kernel fetch)%n",
        disk.size(), disk.allocatedBytes(), disk.kernelVersion(),
        (System.nanoTime() - start) / 1e9);
  }

  @Test
  void theDiskIsOneGibibyteSparseWithAnMbrAndABootablePartition() throws Exception {
    assertThat(disk.size()).isEqualTo(BootDisk.DEFAULT_SIZE);
    // A hole beyond the boot files: what is allocated is about the kernel and the initrd.
    assertThat(disk.allocatedBytes()).isLessThan(64L << 20);
    byte[] mbr = new byte[512];
    try (var in = Files.newInputStream(disk.image())) {
      assertThat(in.readNBytes(mbr, 0, 512)).isEqualTo(512);
    }
    assertThat(mbr[510] & 0xff).isEqualTo(0x55);
    assertThat(mbr[511] & 0xff).isEqualTo(0xaa);
    assertThat(mbr[446] & 0xff).as("partition 1 bootable").isEqualTo(0x80);
    assertThat(mbr[450] & 0xff).as("partition 1 type FAT16 LBA").isEqualTo(0x0e);
    assertThat(java.nio.ByteBuffer.wrap(mbr, 454, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt())
        .as("partition 1 starts at sector 2048").isEqualTo(2048);
  }

  @Test
  void bootsFromTheFileToTheMarker() throws Exception {
    try (Running qemu = Proc.command(BootDisk.qemuCommand(disk.image().toString())).name("qemu")
        .log(dir.resolve("qemu-file.log")).start()) {
      Line marker = qemu.await(Match.contains(BootDisk.MARKER), BOOT_TIMEOUT, Match.contains("Kernel panic"),
          Match.contains("No bootable device"), Match.contains("Boot failed"));
      System.out.printf("boot from the file: marker after %.2f s%n", marker.seconds());
      assertThat(marker.text()).contains("console=ttyS0 quiet");
      assertThat(qemu.waitFor(Duration.ofSeconds(60))).as("the initrd powers the machine off").isTrue();
    }
  }

  @Test
  void bootsOverNbdReadingOnlyTheBootFiles() throws Exception {
    Gate.requireCommand("nbdkit", "nbdkit");
    Path socket = dir.resolve("nbd.sock");
    Path log = dir.resolve("nbdkit-reads.log");
    Files.deleteIfExists(log);
    try (Running nbdkit = Proc.command("nbdkit", "-f", "-r", "-U", socket.toString(), "--filter=log", "file",
        disk.image().toString(), "logfile=" + log).name("nbdkit").start()) {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!Files.exists(socket) && nbdkit.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(socket).as("nbdkit's socket; nbdkit said: " + nbdkit.output()).exists();
      try (Running qemu = Proc.command(BootDisk.qemuCommand("nbd+unix:///?socket=" + socket)).name("qemu-nbd")
          .log(dir.resolve("qemu-nbd.log")).start()) {
        Line marker = qemu.await(Match.contains(BootDisk.MARKER), BOOT_TIMEOUT, Match.contains("Kernel panic"),
            Match.contains("No bootable device"), Match.contains("Boot failed"));
        assertThat(qemu.waitFor(Duration.ofSeconds(60))).isTrue();

        long bytes = 0;
        long reads = 0;
        long highest = 0;
        TreeSet<Long> pieces = new TreeSet<>();
        for (String line : Files.readAllLines(log)) {
          Matcher m = READ.matcher(line);
          if (m.find()) {
            long offset = Long.parseLong(m.group(1), 16);
            long count = Long.parseLong(m.group(2), 16);
            bytes += count;
            reads++;
            highest = Math.max(highest, offset + count);
            for (long p = offset / PIECE; p <= (offset + count - 1) / PIECE; p++) {
              pieces.add(p);
            }
          }
        }
        System.out.printf("boot over NBD: marker after %.2f s, %d reads, %d bytes, %d distinct 1 MiB pieces %s%n",
            marker.seconds(), reads, bytes, pieces.size(), pieces);
        // The boot reads at least the kernel and the initrd, and nothing of the padding past the partition.
        assertThat(bytes).isGreaterThanOrEqualTo(Files.size(disk.kernel()) + Files.size(disk.initrd()));
        assertThat(highest).as("highest byte read").isLessThanOrEqualTo(33L << 20);
        assertThat(pieces.size()).isLessThan(33);
      }
    }
  }
}
