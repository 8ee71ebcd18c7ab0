package io.boottorrent.swarm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.libtorrent4j.SettingsPack;
import org.libtorrent4j.swig.alert;
import org.libtorrent4j.swig.settings_pack.bool_types;
import org.libtorrent4j.swig.settings_pack.int_types;
import org.libtorrent4j.swig.settings_pack.string_types;

/** The libtorrent settings a session starts with, read back from the pack (no session started). */
class SessionSettingsTest {

  @BeforeAll
  static void loadLibtorrent() {
    Libtorrent.ensureLoaded();
  }

  @Test
  void nothingLeavesTheNetworkWhateverTheOptions() {
    for (boolean lsd : new boolean[] {false, true}) {
      SettingsPack sp = SessionSettings.of(new SwarmSession.Options("0.0.0.0", 6881, lsd, 0, 0, "s"));

      assertThat(sp.isEnableDht()).isFalse();
      assertThat(sp.getDhtBootstrapNodes()).isEmpty();
      assertThat(bool(sp, bool_types.enable_upnp)).isFalse();
      assertThat(bool(sp, bool_types.enable_natpmp)).isFalse();
      // LSD multicasts on the LAN: only when asked
      assertThat(sp.isEnableLsd()).isEqualTo(lsd);
    }
  }

  @Test
  void tcpOnlySeveralPeersPerAddressAndNoQueueing() {
    SettingsPack sp = SessionSettings.of(SwarmSession.Options.loopback("s"));

    assertThat(bool(sp, bool_types.enable_outgoing_utp)).isFalse();
    assertThat(bool(sp, bool_types.enable_incoming_utp)).isFalse();
    assertThat(bool(sp, bool_types.allow_multiple_connections_per_ip)).isTrue();
    assertThat(bool(sp, bool_types.close_redundant_connections)).as("kept: see StreamingReadTest").isFalse();
    assertThat(bool(sp, bool_types.announce_to_all_trackers)).isTrue();
    assertThat(integer(sp, int_types.min_announce_interval)).isEqualTo(5);
    assertThat(sp.activeDownloads()).isEqualTo(-1);
    assertThat(sp.activeSeeds()).isEqualTo(-1);
    assertThat(sp.activeLimit()).isEqualTo(-1);
    assertThat(sp.alertQueueSize()).isEqualTo(200_000);
    assertThat(sp.getString(string_types.user_agent.swigValue())).isEqualTo("BootTorrent/0.1");
  }

  @Test
  void requestQueuesAreSetOnlyWhenPositive() {
    SettingsPack defaults = SessionSettings.of(SwarmSession.Options.loopback("s"));
    SettingsPack both = SessionSettings.of(SwarmSession.Options.loopback("s").withRequestQueues(8, 1));
    SettingsPack seederLike = SessionSettings.of(SwarmSession.Options.loopback("s").withRequestQueues(16, 0));
    SettingsPack agentLike = SessionSettings.of(SwarmSession.Options.loopback("s").withRequestQueues(0, 2));

    // 0 leaves the setting out of the pack, so libtorrent keeps its own default
    assertThat(has(defaults, int_types.max_allowed_in_request_queue)).isFalse();
    assertThat(has(defaults, int_types.request_queue_time)).isFalse();
    assertThat(integer(both, int_types.max_allowed_in_request_queue)).isEqualTo(8);
    assertThat(integer(both, int_types.request_queue_time)).isEqualTo(1);
    assertThat(integer(seederLike, int_types.max_allowed_in_request_queue)).isEqualTo(16);
    assertThat(has(seederLike, int_types.request_queue_time)).isFalse();
    assertThat(has(agentLike, int_types.max_allowed_in_request_queue)).isFalse();
    assertThat(integer(agentLike, int_types.request_queue_time)).isEqualTo(2);
  }

  @Test
  void rateLimitsAreTheOptionsClampedToAnInt() {
    SettingsPack sp = SessionSettings.of(new SwarmSession.Options("127.0.0.1", 0, false, 5_000_000_000L, 1234, "s"));

    assertThat(sp.uploadRateLimit()).isEqualTo(Integer.MAX_VALUE);
    assertThat(sp.downloadRateLimit()).isEqualTo(1234);
    assertThat(SessionSettings.clampLimit(0)).isZero();
  }

  @Test
  void listenInterfaceBracketsAnIpv6Host() {
    assertThat(SessionSettings.listenInterface(SwarmSession.Options.loopback("s"))).isEqualTo("127.0.0.1:0");
    assertThat(SessionSettings.listenInterface(new SwarmSession.Options(null, 6881, false, 0, 0, "s")))
        .isEqualTo("0.0.0.0:6881");
    assertThat(SessionSettings.listenInterface(new SwarmSession.Options("::1", 6881, false, 0, 0, "s")))
        .isEqualTo("[::1]:6881");
    assertThat(SessionSettings.listenInterface(new SwarmSession.Options("[::1]", 6881, false, 0, 0, "s")))
        .isEqualTo("[::1]:6881");
    assertThat(SessionSettings.of(new SwarmSession.Options("::1", 6881, false, 0, 0, "s")).listenInterfaces())
        .isEqualTo("[::1]:6881");
  }

  @Test
  void theAlertMaskHasBlockProgressButNoDhtOrPortMapping() {
    int mask = SessionSettings.alertMask();

    assertThat(mask & alert.block_progress_notification.to_int()).isNotZero();
    assertThat(mask & alert.error_notification.to_int()).isNotZero();
    assertThat(mask & alert.storage_notification.to_int()).isNotZero();
    assertThat(mask & alert.dht_notification.to_int()).isZero();
    assertThat(mask & alert.port_mapping_notification.to_int()).isZero();
  }

  private static boolean bool(SettingsPack sp, bool_types name) {
    assertThat(sp.hasValue(name.swigValue())).as("%s set", name).isTrue();
    return sp.getBoolean(name.swigValue());
  }

  private static int integer(SettingsPack sp, int_types name) {
    assertThat(sp.hasValue(name.swigValue())).as("%s set", name).isTrue();
    return sp.getInteger(name.swigValue());
  }

  private static boolean has(SettingsPack sp, int_types name) {
    return sp.hasValue(name.swigValue());
  }
}
