package io.boottorrent.dhcp.protocol;

import static io.boottorrent.testsupport.HostileInput.bytes;
import static io.boottorrent.testsupport.HostileInput.mutations;
import static io.boottorrent.testsupport.HostileInput.oneOf;
import static io.boottorrent.testsupport.HostileInput.onlyThrows;
import static io.boottorrent.testsupport.HostileInput.property;
import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.testsupport.HostileInput;
import io.boottorrent.testsupport.HostileInput.Entry;
import io.boottorrent.testsupport.HostileInput.Gen;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile input for {@link DhcpCodec} (docs/SECURITY.md, "Hostile input"): whatever arrives on port
 * 67, decoding returns a message or throws {@link MalformedPacketException}, within a heap budget
 * linear in the datagram and in bounded time; every accessor of a decoded message works; and a
 * generated valid message survives encode → decode unchanged.
 */
class DhcpHostileInputTest {
  /** A UDP payload can be up to 65507 bytes, whatever a DHCP client would send. */
  static final int MAX_DATAGRAM = 65_507;

  static List<Entry> corpus() {
    List<Entry> all = new ArrayList<>(HostileInput.corpus(DhcpHostileInputTest.class, "/captured"));
    all.removeIf(e -> !e.name().endsWith(".bin"));
    all.addAll(HostileInput.corpus(DhcpHostileInputTest.class, "/corpus/dhcp"));
    return all;
  }

  /** The decoder's own work: a copy of the datagram, the options, the message; never the square of it. */
  static long budget(byte[] datagram) {
    return (1L << 20) + 16L * datagram.length;
  }

  /** Decodes, then reads every typed accessor (which trust the lengths the decoder validated). */
  static Object decodeAndRead(byte[] datagram) throws MalformedPacketException {
    DhcpMessage m = DhcpCodec.decode(datagram);
    DhcpOptions o = m.options();
    List<Object> read = new ArrayList<>(List.of(m.mac(), m.hardwareAddress(), m.messageType(), o.subnetMask(),
        o.routers(), o.dnsServers(), o.hostName(), o.domainName(), o.requestedIp(), o.leaseTime(), o.serverId(),
        o.parameterRequestList(), o.renewalTime(), o.rebindingTime(), o.vendorClass(), o.clientId(),
        o.tftpServerName(), o.bootFileName(), o.userClass(), o.hasUserClass("iPXE"), o.relayAgentInfo(),
        o.clientArchitectures(), o.clientNdi(), o.clientUuid(), o.ipxeEncapsulated()));
    for (ClientArch arch : o.clientArchitectures()) {
      read.add(arch.toString());
    }
    if (o.vendorSpecific().isPresent()) {
      read.add(DhcpOptions.encapsulated(o.vendorSpecific().get()));
    }
    if (o.ipxeEncapsulated().isPresent()) {
      read.add(DhcpOptions.encapsulated(o.ipxeEncapsulated().get()));
    }
    return read;
  }

  /** A valid header and magic cookie, then options as the generator lays them out. */
  static Gen<byte[]> headerThenOptions() {
    int[] codes = {1, 3, 6, 12, 43, 50, 52, 53, 55, 60, 61, 77, 82, 93, 94, 97, 175, 200};
    return random -> {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] header = new byte[DhcpCodec.HEADER_LENGTH];
      random.nextBytes(header);
      header[0] = (byte) (1 + random.nextInt(2));
      header[2] = (byte) random.nextInt(17);
      header[3] = (byte) random.nextInt(17);
      out.writeBytes(header);
      out.writeBytes(ByteBuffer.allocate(4).putInt(DhcpCodec.MAGIC_COOKIE).array());
      out.writeBytes(new byte[] {53, 1, (byte) (1 + random.nextInt(8))});
      // Mostly small packets; sometimes a whole datagram of short options, repeats of a few codes.
      int size = random.nextInt(8) == 0 ? random.nextInt(MAX_DATAGRAM - 300) : random.nextInt(1200);
      int few = 1 + random.nextInt(4);
      while (out.size() < 300 + size) {
        int code = codes[random.nextInt(random.nextBoolean() ? few : codes.length)];
        int len = random.nextInt(4) == 0 ? random.nextInt(256) : random.nextInt(4);
        out.write(code);
        out.write(len);
        byte[] value = new byte[len];
        random.nextBytes(value);
        out.writeBytes(value);
      }
      if (random.nextBoolean()) {
        out.write(OptionCode.END);
      }
      return out.toByteArray();
    };
  }

  @Test
  @DisplayName("arbitrary datagrams: a message or MalformedPacketException, linear heap, bounded time")
  void arbitraryDatagramsDecodeOrFailWithTheCodecsOwnError() {
    List<byte[]> seeds = corpus().stream().map(Entry::bytes).toList();
    property("DhcpCodec.decode", oneOf(bytes(1500), mutations(seeds, MAX_DATAGRAM), headerThenOptions()))
        .tries(3000)
        .show(HostileInput::hex)
        .allocationBudget(DhcpHostileInputTest::budget)
        .check(onlyThrows(MalformedPacketException.class, DhcpHostileInputTest::decodeAndRead));
  }

  @Test
  @DisplayName("encapsulated option spaces (43, 82, 175): options or MalformedPacketException")
  void arbitraryEncapsulatedOptionsParseOrFailWithTheCodecsOwnError() {
    property("DhcpOptions.encapsulated", bytes(255))
        .tries(3000)
        .show(HostileInput::hex)
        .allocationBudget(b -> (1L << 20) + 16L * b.length)
        .check(onlyThrows(MalformedPacketException.class, DhcpOptions::encapsulated));
  }

  @Test
  @DisplayName("generated valid messages: decode(encode(m)) == m")
  void validMessagesRoundTrip() {
    property("DhcpCodec round trip", DhcpHostileInputTest::validMessage)
        .tries(1000)
        .check(m -> {
          byte[] wire = DhcpCodec.encode(m);
          DhcpMessage back = DhcpCodec.decode(wire);
          assertThat(back).isEqualTo(m);
          assertThat(DhcpCodec.encode(back)).isEqualTo(wire);
        });
  }

  static Stream<Entry> corpusEntries() {
    return corpus().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corpusEntries")
  @DisplayName("the corpus (captures and every input that found a bug) replays under the same contract")
  void corpusReplays(Entry entry) {
    property("DhcpCodec.decode corpus", r -> entry.bytes())
        .show(HostileInput::hex)
        .allocationBudget(DhcpHostileInputTest::budget)
        .checkOne(entry.bytes(), onlyThrows(MalformedPacketException.class, DhcpHostileInputTest::decodeAndRead),
            entry.name());
  }

  @Test
  @DisplayName("defect: one option repeated 21 700 times in a 64 KB datagram was joined in quadratic heap (~700 MB)")
  void anOptionRepeatedThroughoutAWholeDatagramIsJoinedInLinearHeap() throws Exception {
    // GIVEN a maximal datagram whose options are option 43 with one byte, over and over (RFC 3396 join)
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] header = new byte[DhcpCodec.HEADER_LENGTH];
    header[0] = 1;
    header[1] = 1;
    header[2] = 6;
    out.writeBytes(header);
    out.writeBytes(ByteBuffer.allocate(4).putInt(DhcpCodec.MAGIC_COOKIE).array());
    out.writeBytes(new byte[] {53, 1, 1});
    int instances = 0;
    while (out.size() + 3 < MAX_DATAGRAM) {
      out.writeBytes(new byte[] {43, 1, (byte) instances++});
    }
    byte[] datagram = out.toByteArray();

    // WHEN it is decoded THEN option 43 is the join of every instance, within the linear heap budget
    property("DhcpCodec.decode repeated option", r -> datagram)
        .show(b -> b.length + " bytes")
        .allocationBudget(DhcpHostileInputTest::budget)
        .checkOne(datagram, onlyThrows(MalformedPacketException.class, DhcpCodec::decode), "repeated option 43");
    byte[] joined = DhcpCodec.decode(datagram).options().vendorSpecific().orElseThrow();
    assertThat(joined).hasSize(instances);
    assertThat(joined[instances - 1]).isEqualTo((byte) (instances - 1));
  }

  static DhcpMessage validMessage(Random r) {
    DhcpOptions.Builder options = DhcpOptions.builder();
    options.messageType(MessageType.of(1 + r.nextInt(8)).orElseThrow());
    int extra = r.nextInt(12);
    for (int i = 0; i < extra; i++) {
      switch (r.nextInt(6)) {
        case 0 -> options.address(OptionCode.SUBNET_MASK, new Ipv4(r.nextInt()));
        case 1 -> options.addresses(OptionCode.ROUTER, List.of(new Ipv4(r.nextInt()), new Ipv4(r.nextInt())));
        case 2 -> options.u32(OptionCode.LEASE_TIME, r.nextInt() & 0xFFFFFFFFL);
        case 3 -> options.text(OptionCode.HOST_NAME, "h" + Integer.toHexString(r.nextInt()));
        case 4 -> options.clientArch(new ClientArch(r.nextInt(0x10000)));
        default -> {
          // An option this server does not interpret: any length, over 255 bytes split (RFC 3396).
          int code = 100 + r.nextInt(70);
          byte[] value = new byte[r.nextInt(4) == 0 ? r.nextInt(700) : r.nextInt(8)];
          r.nextBytes(value);
          options.set(code, value);
        }
      }
    }
    byte[] chaddr = new byte[16];
    r.nextBytes(chaddr);
    return new DhcpMessage(1 + r.nextInt(2), r.nextInt(256), r.nextInt(17), r.nextInt(17), r.nextInt(),
        r.nextInt(0x10000), r.nextInt(0x10000), new Ipv4(r.nextInt()), new Ipv4(r.nextInt()),
        new Ipv4(r.nextInt()), new Ipv4(r.nextInt()), chaddr, text(r, 64), text(r, 128), options.build());
  }

  /** Up to {@code max} Latin-1 characters without NUL (the header's strings are NUL-terminated). */
  static String text(Random r, int max) {
    char[] out = new char[r.nextInt(max + 1)];
    for (int i = 0; i < out.length; i++) {
      out[i] = (char) (1 + r.nextInt(255));
    }
    return new String(out);
  }
}
