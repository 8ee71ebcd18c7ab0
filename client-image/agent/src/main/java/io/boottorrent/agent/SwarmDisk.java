package io.boottorrent.agent;

import io.boottorrent.nbd.BlockSource;
import io.boottorrent.swarm.SwarmSession;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;

/**
 * One file of a torrent that is still downloading, as an NBD export's source: reads wait for the
 * pieces they need ({@link SwarmSession#read}). The size is rounded up to 512-byte sectors, read as
 * zeros past the file's end: QEMU's NBD client rounds an export up to whole sectors and fails on a
 * tail it cannot read.
 */
final class SwarmDisk implements BlockSource {
  static final int SECTOR = 512;

  private final SwarmSession session;
  private final String infoHash;
  private final int fileIndex;
  private final long fileSize;

  SwarmDisk(SwarmSession session, String infoHash, int fileIndex, long fileSize) {
    this.session = session;
    this.infoHash = infoHash;
    this.fileIndex = fileIndex;
    this.fileSize = fileSize;
  }

  @Override
  public long size() {
    return (fileSize + SECTOR - 1) / SECTOR * SECTOR;
  }

  @Override
  public Future<Buffer> read(long offset, int length) {
    long inFile = Math.max(0, Math.min(length, fileSize - offset));
    int zeros = (int) (length - inFile);
    if (inFile == 0) {
      return Future.succeededFuture(Buffer.buffer(new byte[zeros]));
    }
    Future<Buffer> bytes = session.read(infoHash, fileIndex, offset, (int) inFile);
    return zeros == 0 ? bytes : bytes.map(b -> b.appendBytes(new byte[zeros]));
  }
}
