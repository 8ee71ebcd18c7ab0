package io.boottorrent.core;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on a lock file, which keeps a second owner (in this or another process) off the
 * same state: the catalog's data dir, telemetry's journal. The OS drops it when the process dies, so a
 * crash never leaves a stale lock behind.
 */
public final class DirectoryLock implements AutoCloseable {
  private final FileChannel channel;
  private final FileLock lock;

  private DirectoryLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Takes the lock of {@code file} (created if missing), or throws at once.
   *
   * @param inUse the message when another owner has it, e.g. "data dir /x is in use by another catalog"
   * @throws InUseException when another owner holds the lock
   */
  public static DirectoryLock acquire(Path file, String inUse) throws IOException {
    FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException inThisJvm) {
      lock = null;
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    if (lock == null) {
      channel.close();
      throw new InUseException(inUse);
    }
    return new DirectoryLock(channel, lock);
  }

  /** The lock is held by another owner. */
  public static final class InUseException extends IOException {
    InUseException(String message) {
      super(message);
    }
  }

  @Override
  public void close() throws IOException {
    try {
      lock.release();
    } finally {
      channel.close();
    }
  }
}
