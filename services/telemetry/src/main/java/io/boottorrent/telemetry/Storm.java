package io.boottorrent.telemetry;

import io.boottorrent.proto.P2pSample;
import io.boottorrent.proto.StormMemberView;
import io.boottorrent.proto.StormView;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A boot storm while it runs: the machines that started downloading one image within the storm window
 * of its first member, and the seeders' egress for that image meanwhile. Mutable, confined to the
 * model's thread; once finished it is kept only as its {@link StormView}.
 */
final class Storm {
  /** Samples kept per storm; beyond, every other one is dropped (the newest always stays). */
  static final int MAX_SAMPLES = 120;

  static final class Member {
    final String mac;
    String nodeId;
    final long startedMs;
    long completedMs;
    long bootedMs;
    boolean failed;
    String failure = "";
    long bytesDone;
    long bytesTotal;
    long lastSeenMs;
    long webSeedBytes;
    Map<String, Long> sources = Map.of();

    Member(String mac, String nodeId, long startedMs) {
      this.mac = mac;
      this.nodeId = nodeId;
      this.startedMs = startedMs;
      this.lastSeenMs = startedMs;
    }

    boolean done(long now, long stallMs) {
      return bootedMs > 0 || failed || now - lastSeenMs > stallMs;
    }

    StormMemberView view() {
      return StormMemberView.newBuilder().setMac(mac).setNodeId(nodeId).setStartedMs(startedMs)
          .setCompletedMs(completedMs).setBootedMs(bootedMs).setFailed(failed).setFailure(failure)
          .setBytesDone(bytesDone).setBytesTotal(bytesTotal).setLastSeenMs(lastSeenMs)
          .setBytesFromWebSeed(webSeedBytes).putAllSources(sources).build();
    }

    static Member restore(StormMemberView v) {
      Member m = new Member(v.getMac(), v.getNodeId(), v.getStartedMs());
      m.completedMs = v.getCompletedMs();
      m.bootedMs = v.getBootedMs();
      m.failed = v.getFailed();
      m.failure = v.getFailure();
      m.bytesDone = v.getBytesDone();
      m.bytesTotal = v.getBytesTotal();
      m.lastSeenMs = v.getLastSeenMs();
      m.webSeedBytes = v.getBytesFromWebSeed();
      m.sources = Map.copyOf(v.getSourcesMap());
      return m;
    }
  }

  final String id;
  final String image;
  /** The torrent's info-hash (lower case), or the image name when the events had none. */
  final String key;
  final String infoHash;
  final long startMs;
  long imageSize;
  final LinkedHashMap<String, Member> members = new LinkedHashMap<>();
  long seederBytes;
  final List<P2pSample> samples = new ArrayList<>();

  Storm(String image, String infoHash, long startMs) {
    this.id = image + "@" + startMs;
    this.image = image;
    this.infoHash = infoHash;
    this.key = key(image, infoHash);
    this.startMs = startMs;
  }

  static String key(String image, String infoHash) {
    return infoHash.isEmpty() ? "image:" + image : infoHash.toLowerCase(java.util.Locale.ROOT);
  }

  long delivered() {
    long sum = 0;
    for (Member m : members.values()) {
      sum += m.bytesDone;
    }
    return sum;
  }

  long webSeedBytes() {
    long sum = 0;
    for (Member m : members.values()) {
      sum += m.webSeedBytes;
    }
    return sum;
  }

  long lastSampledDelivered() {
    return samples.isEmpty() ? 0 : samples.get(samples.size() - 1).getDeliveredBytes();
  }

  static double share(long seeder, long web, long delivered) {
    if (delivered <= 0) {
      return 0;
    }
    return Math.max(0, Math.min(1, 1 - (double) (seeder + web) / delivered));
  }

  void sample(long t) {
    long delivered = delivered();
    if (delivered == 0 && seederBytes == 0) {
      return;
    }
    samples.add(P2pSample.newBuilder().setAtMs(t).setSeederBytes(seederBytes).setDeliveredBytes(delivered)
        .setP2PShare(share(seederBytes, webSeedBytes(), delivered)).build());
    if (samples.size() > MAX_SAMPLES) {
      List<P2pSample> thinned = new ArrayList<>(MAX_SAMPLES / 2 + 1);
      for (int i = samples.size() - 1; i >= 0; i -= 2) {
        thinned.add(0, samples.get(i));
      }
      samples.clear();
      samples.addAll(thinned);
    }
  }

  boolean finishable(long now, long windowMs, long stallMs) {
    if (now - startMs <= windowMs) {
      return false;
    }
    for (Member m : members.values()) {
      if (!m.done(now, stallMs)) {
        return false;
      }
    }
    return true;
  }

  StormView view(SeederEndpoints seeders, boolean finished, long finishedMs) {
    StormView.Builder b = StormView.newBuilder().setId(id).setImage(image).setInfoHash(infoHash)
        .setStartMs(startMs).setImageSize(imageSize).setMemberCount(members.size());
    int booted = 0;
    int failedCount = 0;
    long first = -1;
    long last = -1;
    List<Long> downloads = new ArrayList<>();
    SeederEndpoints.Split split = SeederEndpoints.NONE;
    for (Member m : members.values()) {
      b.addMembers(m.view());
      if (m.bootedMs > 0) {
        booted++;
        long since = m.bootedMs - startMs;
        first = first < 0 ? since : Math.min(first, since);
        last = Math.max(last, since);
      }
      if (m.failed) {
        failedCount++;
      }
      if (m.completedMs > 0) {
        downloads.add(m.completedMs - m.startedMs);
      }
      split = split.plus(seeders.split(m.sources));
    }
    long[] times = downloads.stream().mapToLong(Long::longValue).toArray();
    long delivered = delivered();
    long web = webSeedBytes();
    return b.setBooted(booted).setFailed(failedCount).setFirstBootedMs(first).setLastBootedMs(last)
        .setDownloadP50Ms(Percentiles.nearestRank(times, 50)).setDownloadP99Ms(Percentiles.nearestRank(times, 99))
        .setSeederBytes(seederBytes).setDeliveredBytes(delivered).setWebSeedBytes(web)
        .setP2PShare(share(seederBytes, web, delivered))
        .setSeederCopies(imageSize > 0 ? (double) seederBytes / imageSize : 0)
        .addAllSamples(samples).setFinished(finished).setFinishedMs(finishedMs)
        .setBytesFromSeeder(split.seeder()).setBytesFromPeers(split.peers())
        .build();
  }

  /** A running storm from a snapshot's view. */
  static Storm restore(StormView v) {
    Storm s = new Storm(v.getImage(), v.getInfoHash(), v.getStartMs());
    s.imageSize = v.getImageSize();
    s.seederBytes = v.getSeederBytes();
    s.samples.addAll(v.getSamplesList());
    for (StormMemberView m : v.getMembersList()) {
      s.members.put(m.getMac(), Member.restore(m));
    }
    return s;
  }
}
