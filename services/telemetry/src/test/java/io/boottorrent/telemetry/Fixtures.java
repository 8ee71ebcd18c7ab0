package io.boottorrent.telemetry;

import io.boottorrent.core.BootEvents;
import io.boottorrent.core.MacAddress;
import io.boottorrent.core.PeerSource;
import io.boottorrent.proto.BootEvent;
import io.boottorrent.proto.ImageManifest;
import io.boottorrent.proto.SeederStatus;
import io.boottorrent.proto.TorrentStatus;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/** Shared test fixtures: a clock the test moves, an image, and the events of a boot in their real shapes. */
final class Fixtures {
  private Fixtures() {}

  static final long T0 = 1_700_000_000_000L;
  static final long SIZE = 10_000_000L;
  static final String HASH = "0123456789abcdef0123456789abcdef01234567";
  static final ImageManifest IMAGE = ImageManifest.newBuilder().setName("debian").setInfoHash(HASH)
      .setTotalSize(SIZE).build();
  static final int SEEDER_PORT = 6881;

  /** A clock that stands still until the test moves it. */
  static final class TestClock extends Clock {
    private long millis;

    TestClock(long millis) {
      this.millis = millis;
    }

    TestClock at(long t) {
      millis = t;
      return this;
    }

    TestClock plus(long ms) {
      millis += ms;
      return this;
    }

    @Override
    public long millis() {
      return millis;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  static TelemetryModel.Limits limits() {
    return new TelemetryModel.Limits(60_000, 30_000, 10_000, 200, 10_000, 100, 1L << 40);
  }

  /** The events of one machine, stamped with the model's clock as the services would stamp them. */
  static final class Boot {
    final Consumer<BootEvent> sink;
    final TestClock clock;
    final String mac;
    final String ip;
    final BootEvents events;
    final BootEvents.Agent agent;

    /** Events go to {@code sink}: a model, or the event bus. */
    Boot(Consumer<BootEvent> sink, TestClock clock, String mac, String ip, String nodeId) {
      this.sink = sink;
      this.clock = clock;
      this.mac = mac;
      this.ip = ip;
      this.events = new BootEvents(clock);
      this.agent = events.agent(MacAddress.parse(mac), nodeId);
    }

    Boot at(long t) {
      clock.at(t);
      return this;
    }

    Boot send(BootEvent e) {
      sink.accept(e);
      return this;
    }

    Boot pxe() {
      return send(events.pxeOffer(mac, ip, "bios", "bootloader", "undionly.kpxe"));
    }

    Boot lease() {
      return send(events.dhcpLease(mac, ip, "bios", 3600));
    }

    Boot tftp() {
      return send(events.tftpSent(ip, "undionly.kpxe", 70_000, 70_000, 120));
    }

    Boot httpBoot() {
      return send(events.httpBootFileSent(ip, Optional.of(MacAddress.parse(mac)), "initrd", 30_000_000, 650));
    }

    Boot started() {
      return send(agent.started());
    }

    Boot menu() {
      return send(agent.menuShown("debian", java.util.List.of("debian"), 5));
    }

    Boot chosen() {
      return send(agent.imageChosen("debian", "default"));
    }

    Boot downloadStarted() {
      return send(agent.downloadStarted(IMAGE, "listen port 40000"));
    }

    Boot progress(double fraction) {
      return send(agent.downloadProgress(IMAGE, TorrentStatus.newBuilder().setProgress(fraction)
          .setDownloadRate(2_000_000).setUploadRate(500_000).setPeers(3).setTotalUploaded(1234).build()));
    }

    /** Complete with bytes from the seeder (port {@link #SEEDER_PORT}), another machine and the web seed. */
    Boot complete(long fromSeeder, long fromPeer, long fromWeb) {
      Map<PeerSource, Long> sources = new java.util.LinkedHashMap<>();
      if (fromSeeder > 0) {
        sources.put(new PeerSource.Peer("10.0.0.1", SEEDER_PORT), fromSeeder);
      }
      if (fromPeer > 0) {
        sources.put(new PeerSource.Peer("10.0.0.77", 40_001), fromPeer);
      }
      if (fromWeb > 0) {
        sources.put(new PeerSource.WebSeed("http://10.0.0.1:8080/seed/"), fromWeb);
      }
      return send(agent.downloadComplete(IMAGE, 5000, TorrentStatus.newBuilder().setProgress(1).build(), sources));
    }

    Boot verified() {
      return send(agent.verified(IMAGE));
    }

    Boot seedingDone() {
      return send(agent.seedingDone(4321, "every peer is a seed"));
    }

    Boot launching() {
      return send(agent.launching("debian", "kexec", "kexec -l vmlinuz"));
    }

    Boot failed(String why) {
      return send(agent.failed("debian", why));
    }
  }

  static SeederStatus seeder(String id, long uploaded) {
    return SeederStatus.newBuilder().setSeederId(id).setListenPort(SEEDER_PORT)
        .addTorrents(TorrentStatus.newBuilder().setName("debian").setInfoHash(HASH).setState("seeding")
            .setProgress(1).setTotalUploaded(uploaded).setUploadRate(1000).setSwarmSeeds(-1).setSwarmLeechers(-1))
        .build();
  }

  static String mac(int i) {
    return String.format("52:54:00:00:%02x:%02x", i >> 8, i & 0xff);
  }

  static String ip(int i) {
    return String.format("10.0.%d.%d", i >> 8, i & 0xff);
  }
}
