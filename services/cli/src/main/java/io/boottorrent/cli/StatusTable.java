package io.boottorrent.cli;

import io.boottorrent.proto.MachineList;
import io.boottorrent.proto.MachineView;
import java.util.Locale;

/** The machines telemetry knows, as a terminal table with a summary line. Pure. */
final class StatusTable {
  private StatusTable() {}

  static String render(MachineList list) {
    int launched = 0;
    int failed = 0;
    int stalled = 0;
    for (MachineView m : list.getMachinesList()) {
      if (m.getLaunched()) {
        launched++;
      } else if (m.getFailed()) {
        failed++;
      } else if (m.getStalled()) {
        stalled++;
      }
    }
    int booting = list.getMachinesCount() - launched - failed - stalled;
    StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
        "%d machine(s): %d booting, %d launched, %d failed, %d stalled%s%n%n", list.getTotal(), booting, launched,
        failed, stalled, list.getTotal() > list.getMachinesCount() ? " (showing " + list.getMachinesCount() + ")" : ""));
    String format = "%-17s  %-15s  %-14s  %-17s  %6s  %10s  %10s  %5s  %-22s  %7s%n";
    out.append(String.format(Locale.ROOT, format, "MAC", "IP", "IMAGE", "STAGE", "DONE", "DOWN", "UP", "PEERS",
        "FROM SEEDER/PEERS/WEB", "TIME"));
    for (MachineView m : list.getMachinesList()) {
      out.append(String.format(Locale.ROOT, format, m.getMac(), m.getIp(), cut(m.getImage(), 14), stage(m),
          m.getBytesTotal() > 0 ? String.format(Locale.ROOT, "%.0f%%", 100.0 * m.getBytesDone() / m.getBytesTotal()) : "",
          rate(m.getDownloadRate()), rate(m.getUploadRate()), m.getPeers(), sources(m),
          String.format(Locale.ROOT, "%.1fs", m.getBootMs() / 1000.0)));
      if (m.getFailed() && !m.getFailure().isEmpty()) {
        out.append("    ↳ ").append(m.getFailure()).append('\n');
      }
    }
    return out.toString();
  }

  private static String stage(MachineView m) {
    String stage = m.getStage().name();
    return m.getStalled() ? stage + " (stalled)" : stage;
  }

  private static String sources(MachineView m) {
    long all = m.getBytesFromSeeder() + m.getBytesFromPeers() + m.getBytesFromWebSeed();
    if (all == 0) {
      return "";
    }
    return String.format(Locale.ROOT, "%.0f%% / %.0f%% / %.0f%%", 100.0 * m.getBytesFromSeeder() / all,
        100.0 * m.getBytesFromPeers() / all, 100.0 * m.getBytesFromWebSeed() / all);
  }

  private static String rate(long bytesPerSecond) {
    return bytesPerSecond <= 0 ? "" : EventLine.mib(bytesPerSecond) + "/s";
  }

  private static String cut(String s, int width) {
    return s.length() <= width ? s : s.substring(0, width - 1) + "…";
  }
}
