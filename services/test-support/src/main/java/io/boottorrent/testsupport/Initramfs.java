package io.boottorrent.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/**
 * A Linux initramfs: a cpio archive in the "newc" format (070701, all header fields 8 hex digits),
 * gzip-compressed, as {@code usr/gen_init_cpio} writes it. Built in memory, owner root, mtime 0, so
 * the tests need neither the cpio tool nor mknod for {@code /dev/console}.
 */
public final class Initramfs {
  private static final int S_IFDIR = 0040000;
  private static final int S_IFREG = 0100000;
  private static final int S_IFCHR = 0020000;

  private final ByteArrayOutputStream cpio = new ByteArrayOutputStream();
  private int nextInode = 721;
  private boolean finished;

  public Initramfs dir(String name) {
    return entry(name, S_IFDIR | 0755, 2, new byte[0], 0, 0);
  }

  public Initramfs file(String name, int permissions, byte[] content) {
    return entry(name, S_IFREG | permissions, 1, content, 0, 0);
  }

  public Initramfs charDevice(String name, int permissions, int major, int minor) {
    return entry(name, S_IFCHR | permissions, 1, new byte[0], major, minor);
  }

  /** The archive with its TRAILER!!! entry, gzip-compressed. No entry can be added afterwards. */
  public byte[] gzip() throws IOException {
    if (!finished) {
      entry("TRAILER!!!", 0, 1, new byte[0], 0, 0);
      finished = true;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      cpio.writeTo(gz);
    }
    return out.toByteArray();
  }

  private Initramfs entry(String name, int mode, int links, byte[] content, int rdevMajor, int rdevMinor) {
    if (finished) {
      throw new IllegalStateException("archive already finished");
    }
    byte[] nameBytes = (name + "\0").getBytes(StandardCharsets.US_ASCII);
    boolean trailer = name.equals("TRAILER!!!");
    long[] fields = {trailer ? 0 : nextInode++, mode, 0, 0, links, 0, content.length, 0, 0, rdevMajor, rdevMinor,
        nameBytes.length, 0};
    StringBuilder header = new StringBuilder("070701");
    for (long field : fields) {
      header.append(String.format("%08X", field));
    }
    byte[] headerBytes = header.toString().getBytes(StandardCharsets.US_ASCII);
    cpio.writeBytes(headerBytes);
    cpio.writeBytes(nameBytes);
    pad(headerBytes.length + nameBytes.length);
    cpio.writeBytes(content);
    pad(content.length);
    return this;
  }

  /** newc aligns the name (after the 110-byte header) and the file data to 4 bytes. */
  private void pad(int length) {
    for (int i = length; i % 4 != 0; i++) {
      cpio.write(0);
    }
  }

  /**
   * busybox-static (from /bin/busybox) and an /init that prints {@code message} followed by
   * {@code ", cmdline: <the kernel command line>"} on the console, then powers the machine off: the
   * initrd the VM tests serve or kexec, whose line proves that this very initrd ran.
   */
  public static byte[] busyboxMarker(String message) throws IOException {
    String init = """
        #!/bin/busybox sh
        /bin/busybox mount -t proc proc /proc
        /bin/busybox echo "MESSAGE, cmdline: $(/bin/busybox cat /proc/cmdline)" > /dev/console
        /bin/busybox poweroff -f
        """.replace("MESSAGE", message);
    return new Initramfs()
        .dir("bin").dir("dev").dir("proc")
        .charDevice("dev/console", 0600, 5, 1)
        .file("bin/busybox", 0755, Files.readAllBytes(Path.of("/bin/busybox")))
        .file("init", 0755, init.getBytes(StandardCharsets.UTF_8))
        .gzip();
  }

  /**
   * True for a 64-bit little-endian ELF executable without a PT_INTERP program header, i.e. one that
   * runs in an initramfs with no libc and no dynamic loader (Debian's busybox-static).
   */
  public static boolean isStaticElf(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      return false;
    }
    byte[] head;
    try (InputStream in = Files.newInputStream(file)) {
      head = in.readNBytes(64 * 1024);
    }
    ByteBuffer elf = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
    if (head.length < 64 || elf.getInt(0) != 0x464C457F || head[4] != 2 || head[5] != 1) {
      return false;
    }
    long phoff = elf.getLong(0x20);
    int phentsize = Short.toUnsignedInt(elf.getShort(0x36));
    int phnum = Short.toUnsignedInt(elf.getShort(0x38));
    if (phoff + (long) phentsize * phnum > head.length) {
      return false;
    }
    for (int i = 0; i < phnum; i++) {
      if (elf.getInt((int) phoff + i * phentsize) == 3) { // PT_INTERP: needs ld.so
        return false;
      }
    }
    return true;
  }
}
