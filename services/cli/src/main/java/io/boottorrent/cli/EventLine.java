package io.boottorrent.cli;

import io.boottorrent.proto.BootEvent;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** One boot event as one terminal line: time, machine, stage, image and what happened. Pure. */
final class EventLine {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withLocale(Locale.ROOT);

  private EventLine() {}

  static String format(BootEvent e, ZoneId zone) {
    StringBuilder line = new StringBuilder()
        .append(TIME.format(Instant.ofEpochMilli(e.getTimestampMs()).atZone(zone))).append("  ")
        .append(pad(e.getMac().isEmpty() ? e.getIp() : e.getMac(), 17)).append("  ")
        .append(pad(e.getStage().name(), 17));
    if (!e.getImage().isEmpty()) {
      line.append("  ").append(e.getImage());
    }
    String detail = detail(e);
    if (!detail.isEmpty()) {
      line.append("  ").append(detail);
    }
    return line.toString();
  }

  /** Progress for download events, the message otherwise. */
  private static String detail(BootEvent e) {
    return switch (e.getStage()) {
      case DOWNLOAD_PROGRESS -> String.format(Locale.ROOT, "%5.1f%%  %s/s down  %s/s up  %d peers",
          e.getBytesTotal() == 0 ? 0.0 : 100.0 * e.getBytesDone() / e.getBytesTotal(), mib(e.getDownloadRate()),
          mib(e.getUploadRate()), e.getPeers());
      case DOWNLOAD_COMPLETE -> {
        long all = e.getBytesFromPeersMap().values().stream().mapToLong(Long::longValue).sum();
        yield e.getMessage() + String.format(Locale.ROOT, ", %s from %d source(s), %s from web seeds", mib(all),
            e.getBytesFromPeersCount(), mib(e.getBytesFromWebSeed()));
      }
      default -> e.getMessage();
    };
  }

  static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }

  private static String pad(String s, int width) {
    return s.length() >= width ? s : s + " ".repeat(width - s.length());
  }
}
