package io.boottorrent.telemetry;

import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.BootPhase;
import io.boottorrent.proto.BootStage;
import io.boottorrent.proto.MachineView;
import io.boottorrent.proto.PhaseView;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One machine and its current boot, as {@link TelemetryModel} folds its events in. Mutable, confined
 * to the model's thread. A new boot starts (the timeline is reset, {@code boots} counts it) when,
 * after LAUNCHING or FAILED, anything but a DHCP lease arrives (a launched OS renews leases without
 * booting again; a real reboot shows its PXE_OFFER first), when PXE, TFTP or HTTP boot files come
 * after the agent started, or when an agent with another node id reports.
 */
final class Machine {
  /** The first event of one phase of the current boot. */
  static final class Phase {
    final BootPhase phase;
    final long startMs;
    int events;

    Phase(BootPhase phase, long startMs, int events) {
      this.phase = phase;
      this.startMs = startMs;
      this.events = events;
    }
  }

  final String key;
  final ArrayDeque<LoggedEntry> ring = new ArrayDeque<>();
  final List<Phase> phases = new ArrayList<>(4);
  String ip = "";
  String arch = "";
  String nodeId = "";
  String image = "";
  String infoHash = "";
  String launcher = "";
  String stormId = "";
  String failure = "";
  BootStage stage = BootStage.BOOT_STAGE_UNSPECIFIED;
  long firstSeenMs;
  long lastSeenMs;
  long endedMs;
  long bytesDone;
  long bytesTotal;
  long downloadRate;
  long uploadRate;
  long bytesUploaded;
  long webSeedBytes;
  int peers;
  int boots;
  boolean failed;
  boolean launched;
  boolean pxe;
  Map<String, Long> sources = Map.of();

  Machine(String key) {
    this.key = key;
  }

  boolean ended() {
    return failed || launched;
  }

  BootPhase phase() {
    return phases.isEmpty() ? BootPhase.BOOT_PHASE_UNSPECIFIED : phases.get(phases.size() - 1).phase;
  }

  /** Whether {@code event} starts a new boot of this machine (see the class comment). */
  boolean startsNewBoot(BootEvent event) {
    if (boots == 0) {
      return true;
    }
    BootStage s = event.getStage();
    boolean agent = BootPhases.fromAgent(s);
    boolean sameAgent = agent && !nodeId.isEmpty() && nodeId.equals(event.getNodeId());
    if (ended()) {
      return s != BootStage.DHCP_LEASE && !sameAgent && !(s == BootStage.FAILED && event.getNodeId().isEmpty());
    }
    if (BootPhases.pxeFrontDoor(s) && phase().getNumber() >= BootPhase.PHASE_AGENT_START_VALUE) {
      return true;
    }
    return agent && !nodeId.isEmpty() && !event.getNodeId().isEmpty() && !sameAgent;
  }

  void newBoot(long t) {
    boots++;
    phases.clear();
    nodeId = "";
    image = "";
    infoHash = "";
    launcher = "";
    stormId = "";
    failure = "";
    stage = BootStage.BOOT_STAGE_UNSPECIFIED;
    firstSeenMs = t;
    endedMs = 0;
    bytesDone = 0;
    bytesTotal = 0;
    downloadRate = 0;
    uploadRate = 0;
    bytesUploaded = 0;
    webSeedBytes = 0;
    peers = 0;
    failed = false;
    launched = false;
    pxe = false;
    sources = Map.of();
  }

  /** Folds one event of the current boot in ({@link #startsNewBoot} already decided). */
  void apply(BootEvent e, long t) {
    lastSeenMs = Math.max(lastSeenMs, t);
    BootStage s = e.getStage();
    if (!e.getIp().isEmpty() && (s == BootStage.DHCP_LEASE || ip.isEmpty() || !e.getMac().isEmpty())) {
      ip = e.getIp();
    }
    if (!e.getArch().isEmpty()) {
      arch = e.getArch();
    }
    if (ended() && s == BootStage.DHCP_LEASE) {
      return; // a launched OS renewing its lease: recorded in the ring, not in the boot
    }
    BootPhases.of(s).ifPresent(p -> advance(p, s, t));
    if (BootPhases.pxeFrontDoor(s)) {
      pxe = true;
    }
    if (BootPhases.fromAgent(s) && !e.getNodeId().isEmpty()) {
      nodeId = e.getNodeId();
    }
    if (!e.getImage().isEmpty() && BootPhases.fromAgent(s)) {
      image = e.getImage();
    }
    if (!e.getInfoHash().isEmpty()) {
      infoHash = e.getInfoHash();
    }
    if (!e.getLauncher().isEmpty()) {
      launcher = e.getLauncher();
    }
    switch (s) {
      case DOWNLOAD_STARTED, DOWNLOAD_PROGRESS, DOWNLOAD_COMPLETE, VERIFIED -> {
        if (e.getBytesTotal() > 0) {
          bytesTotal = e.getBytesTotal();
        }
        if (s == BootStage.DOWNLOAD_COMPLETE || s == BootStage.VERIFIED) {
          bytesDone = bytesTotal;
        } else if (s == BootStage.DOWNLOAD_PROGRESS) {
          bytesDone = e.getBytesDone();
        }
        if (s == BootStage.DOWNLOAD_PROGRESS || s == BootStage.DOWNLOAD_COMPLETE) {
          downloadRate = e.getDownloadRate();
          uploadRate = e.getUploadRate();
          peers = e.getPeers();
          bytesUploaded = Math.max(bytesUploaded, e.getBytesUploaded());
        }
        if (s == BootStage.DOWNLOAD_COMPLETE) {
          sources = Map.copyOf(e.getBytesFromPeersMap());
          webSeedBytes = e.getBytesFromWebSeed();
        }
      }
      case SEEDING_DONE -> {
        downloadRate = 0;
        uploadRate = 0;
      }
      case LAUNCHING -> {
        launched = true;
        endedMs = t;
      }
      case FAILED -> {
        failed = true;
        failure = e.getMessage();
        endedMs = t;
      }
      default -> {
      }
    }
  }

  /** A phase moves forward only; an event of an earlier phase is counted in it (or the current one). */
  private void advance(BootPhase p, BootStage s, long t) {
    Phase current = phases.isEmpty() ? null : phases.get(phases.size() - 1);
    if (current == null || p.getNumber() > current.phase.getNumber()) {
      phases.add(new Phase(p, t, 1));
      stage = s;
    } else if (p == current.phase) {
      current.events++;
      stage = s;
    } else {
      phases.stream().filter(x -> x.phase == p).findFirst().orElse(current).events++;
    }
  }

  boolean stalled(long now, long stallMs) {
    return !ended() && (pxe || phase().getNumber() >= BootPhase.PHASE_BOOT_FILES_VALUE)
        && now - lastSeenMs > stallMs;
  }

  MachineView view(long now, long stallMs, SeederEndpoints seeders) {
    long end = ended() ? endedMs : Math.max(now, lastSeenMs);
    MachineView.Builder b = MachineView.newBuilder()
        .setMac(key).setIp(ip).setNodeId(nodeId).setArch(arch).setImage(image).setInfoHash(infoHash)
        .setStage(stage).setPhase(phase())
        .setFirstSeenMs(firstSeenMs).setLastSeenMs(lastSeenMs)
        .setBytesDone(bytesDone).setBytesTotal(bytesTotal).setDownloadRate(downloadRate).setUploadRate(uploadRate)
        .setPeers(peers).setBytesUploaded(bytesUploaded)
        .setFailed(failed).setFailure(failure).setStalled(stalled(now, stallMs)).setPxe(pxe).setBoots(boots)
        .setStormId(stormId).setLauncher(launcher).setBootMs(Math.max(0, end - firstSeenMs)).setLaunched(launched)
        .putAllSources(sources);
    SeederEndpoints.Split split = seeders.split(sources);
    b.setBytesFromSeeder(split.seeder()).setBytesFromPeers(split.peers())
        .setBytesFromWebSeed(Math.max(webSeedBytes, split.webSeed()));
    for (int i = 0; i < phases.size(); i++) {
      Phase p = phases.get(i);
      boolean last = i == phases.size() - 1;
      long until = last ? end : phases.get(i + 1).startMs;
      b.addPhases(PhaseView.newBuilder().setPhase(p.phase).setStartMs(p.startMs)
          .setDurationMs(Math.max(0, until - p.startMs)).setRunning(last && !ended()).setEvents(p.events));
    }
    return b.build();
  }

  /** The machine a snapshot's view describes (its ring is restored separately). */
  static Machine restore(MachineView v) {
    Machine m = new Machine(v.getMac());
    m.ip = v.getIp();
    m.arch = v.getArch();
    m.nodeId = v.getNodeId();
    m.image = v.getImage();
    m.infoHash = v.getInfoHash();
    m.launcher = v.getLauncher();
    m.stormId = v.getStormId();
    m.failure = v.getFailure();
    m.stage = v.getStage();
    m.firstSeenMs = v.getFirstSeenMs();
    m.lastSeenMs = v.getLastSeenMs();
    m.bytesDone = v.getBytesDone();
    m.bytesTotal = v.getBytesTotal();
    m.downloadRate = v.getDownloadRate();
    m.uploadRate = v.getUploadRate();
    m.bytesUploaded = v.getBytesUploaded();
    m.peers = v.getPeers();
    m.boots = v.getBoots();
    m.failed = v.getFailed();
    m.launched = v.getLaunched();
    m.pxe = v.getPxe();
    m.sources = Map.copyOf(v.getSourcesMap());
    m.webSeedBytes = v.getBytesFromWebSeed();
    m.endedMs = m.ended() ? v.getFirstSeenMs() + v.getBootMs() : 0;
    for (PhaseView p : v.getPhasesList()) {
      m.phases.add(new Phase(p.getPhase(), p.getStartMs(), p.getEvents()));
    }
    return m;
  }
}
