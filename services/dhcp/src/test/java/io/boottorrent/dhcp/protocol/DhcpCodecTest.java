package io.boottorrent.dhcp.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DhcpCodecTest {
  private static final int[] NO_RELAY = {0, 0, 0, 0};
  private static final int[] MAC = {0x00, 0x0c, 0x29, 0xaa, 0xbb, 0xcc};

  /** RFC 2131 figure 1 + RFC 2132 §9.6/§9.14/§9.8/§9.1: a DISCOVER with client id, requested IP and a PRL. */
  static byte[] goldenDiscover() {
    return PacketBytes.requestHeader(0, 0x3903F326L, 0x8000, NO_RELAY, MAC)
        .zeros(64)                                  // sname
        .zeros(128)                                 // file
        .u8(99, 130, 83, 99)                        // magic cookie
        .u8(53, 1, 1)                               // DHCP message type = DISCOVER
        .u8(61, 7, 1).u8(MAC)                       // client identifier: htype 1 + MAC
        .u8(50, 4).ip(192, 168, 1, 100)             // requested IP address
        .u8(55, 4, 1, 3, 6, 15)                     // parameter request list
        .u8(255)                                    // end
        .padTo(300)
        .bytes();
  }

  static byte[] resource(String name) throws IOException {
    try (InputStream in = DhcpCodecTest.class.getResourceAsStream("/captured/" + name)) {
      assertThat(in).as("fixture %s", name).isNotNull();
      return in.readAllBytes();
    }
  }

  @Nested
  @DisplayName("golden bytes")
  class Golden {
    @Test
    void decodesEveryHeaderFieldAndOptionOfAHandBuiltDiscover() throws Exception {
      // GIVEN a DISCOVER laid out byte by byte from RFC 2131/2132
      byte[] packet = goldenDiscover();

      // WHEN it is decoded
      DhcpMessage m = DhcpCodec.decode(packet);

      // THEN every field has the value written at its offset
      assertThat(m.op()).isEqualTo(DhcpMessage.BOOTREQUEST);
      assertThat(m.htype()).isEqualTo(1);
      assertThat(m.hlen()).isEqualTo(6);
      assertThat(m.hops()).isZero();
      assertThat(m.xid()).isEqualTo(0x3903F326);
      assertThat(m.secs()).isZero();
      assertThat(m.broadcast()).isTrue();
      assertThat(m.ciaddr()).isEqualTo(Ipv4.ZERO);
      assertThat(m.giaddr()).isEqualTo(Ipv4.ZERO);
      assertThat(m.mac()).isEqualTo("00:0c:29:aa:bb:cc");
      assertThat(m.sname()).isEmpty();
      assertThat(m.file()).isEmpty();
      assertThat(m.messageType()).contains(MessageType.DISCOVER);
      assertThat(m.options().clientId()).hasValueSatisfying(id ->
          assertThat(id).containsExactly(1, 0x00, 0x0c, 0x29, 0xaa, 0xbb, 0xcc));
      assertThat(m.options().requestedIp()).contains(Ipv4.parse("192.168.1.100"));
      assertThat(m.options().parameterRequestList()).containsExactly(1, 3, 6, 15);
      assertThat(m.options().all()).extracting(DhcpOption::code).containsExactly(53, 61, 50, 55);
    }

    @Test
    void encodesTheDecodedDiscoverBackToTheSameBytes() throws Exception {
      byte[] packet = goldenDiscover();

      byte[] encoded = DhcpCodec.encode(DhcpCodec.decode(packet));

      assertThat(encoded).isEqualTo(packet);
    }

    @Test
    void encodesAnOfferExactlyAsRfc2131Lays_itOut() {
      // GIVEN an OFFER built in code
      DhcpOptions options = DhcpOptions.builder()
          .messageType(MessageType.OFFER)
          .serverId(Ipv4.parse("10.213.0.1"))
          .u32(OptionCode.LEASE_TIME, 3600)
          .address(OptionCode.SUBNET_MASK, Ipv4.parse("255.255.255.0"))
          .addresses(OptionCode.ROUTER, List.of(Ipv4.parse("10.213.0.1")))
          .text(OptionCode.BOOTFILE_NAME, "undionly.kpxe")
          .build();
      DhcpMessage offer = new DhcpMessage(DhcpMessage.BOOTREPLY, 1, 6, 0, 0x01020304, 0, 0,
          Ipv4.ZERO, Ipv4.parse("10.213.0.100"), Ipv4.parse("10.213.0.1"), Ipv4.ZERO,
          new byte[] {0x02, 0x42, 0x0a, (byte) 0xd5, 0x63, 0x02}, "", "undionly.kpxe", options);

      // WHEN encoded
      byte[] encoded = DhcpCodec.encode(offer);

      // THEN the bytes are the RFC layout, END-terminated and zero-padded to the 300-byte minimum
      byte[] expected = new PacketBytes()
          .u8(2, 1, 6, 0).u32(0x01020304L).u16(0).u16(0)
          .ip(0, 0, 0, 0).ip(10, 213, 0, 100).ip(10, 213, 0, 1).ip(0, 0, 0, 0)
          .u8(0x02, 0x42, 0x0a, 0xd5, 0x63, 0x02).zeros(10)
          .zeros(64)
          .field("undionly.kpxe", 128)
          .u8(99, 130, 83, 99)
          .u8(53, 1, 2)
          .u8(54, 4).ip(10, 213, 0, 1)
          .u8(51, 4).u32(3600)
          .u8(1, 4).ip(255, 255, 255, 0)
          .u8(3, 4).ip(10, 213, 0, 1)
          .u8(67, 13).ascii("undionly.kpxe")
          .u8(255)
          .padTo(300)
          .bytes();
      assertThat(HexFormat.of().formatHex(encoded)).isEqualTo(HexFormat.of().formatHex(expected));
    }

    @Test
    void splitsAnOptionLongerThan255BytesIntoConsecutiveInstances_rfc3396() throws Exception {
      byte[] value = new byte[300];
      for (int i = 0; i < value.length; i++) {
        value[i] = (byte) i;
      }
      DhcpMessage m = DhcpMessage.request(new byte[] {2, 0, 0, 0, 0, 1}, 7,
          DhcpOptions.builder().messageType(MessageType.REQUEST).set(OptionCode.VENDOR_SPECIFIC, value).build());

      byte[] encoded = DhcpCodec.encode(m);

      // 53/1/3, then 43/255/value[0..255), 43/45/value[255..300), end
      int at = DhcpCodec.OPTIONS_OFFSET + 3;
      assertThat(encoded[at] & 0xFF).isEqualTo(43);
      assertThat(encoded[at + 1] & 0xFF).isEqualTo(255);
      assertThat(Arrays.copyOfRange(encoded, at + 2, at + 2 + 255)).isEqualTo(Arrays.copyOf(value, 255));
      assertThat(encoded[at + 257] & 0xFF).isEqualTo(43);
      assertThat(encoded[at + 258] & 0xFF).isEqualTo(45);
      assertThat(Arrays.copyOfRange(encoded, at + 259, at + 259 + 45)).isEqualTo(Arrays.copyOfRange(value, 255, 300));
      assertThat(encoded[at + 304] & 0xFF).isEqualTo(255);
      assertThat(DhcpCodec.decode(encoded).options().vendorSpecific()).hasValueSatisfying(v -> assertThat(v).isEqualTo(value));
    }

    @Test
    void concatenatesRepeatedInstancesOfAnOption_rfc3396() throws Exception {
      byte[] packet = PacketBytes.requestHeader(0, 1, 0, NO_RELAY, MAC).zeros(192).u8(99, 130, 83, 99)
          .u8(53, 1, 1)
          .u8(77, 2).ascii("iP")
          .u8(12, 3).ascii("box")
          .u8(77, 2).ascii("XE")
          .u8(255).padTo(300).bytes();

      DhcpMessage m = DhcpCodec.decode(packet);

      assertThat(m.options().userClass()).hasValueSatisfying(v -> assertThat(new String(v, StandardCharsets.US_ASCII)).isEqualTo("iPXE"));
      assertThat(m.options().hasUserClass("iPXE")).isTrue();
      assertThat(m.options().all()).extracting(DhcpOption::code).containsExactly(53, 77, 12);
    }

    @Test
    void padsShortMessagesTo300BytesAndLeavesLongerOnesUnpadded() {
      DhcpMessage small = DhcpMessage.request(new byte[] {2, 0, 0, 0, 0, 1}, 1,
          DhcpOptions.builder().messageType(MessageType.DISCOVER).build());
      DhcpMessage big = DhcpMessage.request(new byte[] {2, 0, 0, 0, 0, 1}, 1,
          DhcpOptions.builder().messageType(MessageType.DISCOVER).set(OptionCode.HOST_NAME, new byte[100]).build());

      byte[] smallBytes = DhcpCodec.encode(small);
      byte[] bigBytes = DhcpCodec.encode(big);

      assertThat(smallBytes).hasSize(DhcpCodec.MIN_PACKET_LENGTH);
      assertThat(smallBytes[DhcpCodec.OPTIONS_OFFSET + 3] & 0xFF).isEqualTo(OptionCode.END);
      assertThat(Arrays.copyOfRange(smallBytes, DhcpCodec.OPTIONS_OFFSET + 4, 300)).containsOnly(0);
      assertThat(bigBytes).hasSize(DhcpCodec.OPTIONS_OFFSET + 3 + 102 + 1);
      assertThat(bigBytes[bigBytes.length - 1] & 0xFF).isEqualTo(OptionCode.END);
    }
  }

  @Nested
  @DisplayName("packets captured from real clients (src/test/resources/captured/README.md)")
  class Captured {
    @Test
    void iscDhclientDiscoverDecodesAndReencodesByteForByte() throws Exception {
      byte[] packet = resource("dhclient-discover.bin");

      DhcpMessage m = DhcpCodec.decode(packet);

      assertThat(m.messageType()).contains(MessageType.DISCOVER);
      assertThat(m.xid()).isEqualTo(0x74684b39);
      assertThat(m.mac()).isEqualTo("02:42:0a:d5:63:02");
      assertThat(m.broadcast()).isFalse();
      assertThat(m.options().parameterRequestList()).containsExactly(1, 28, 3, 15, 6, 12);
      assertThat(m.options().clientId()).isEmpty();
      assertThat(DhcpCodec.encode(m)).isEqualTo(packet);
    }

    @Test
    void busyboxUdhcpcDiscoverDecodesAndReencodesByteForByte() throws Exception {
      byte[] packet = resource("udhcpc-discover.bin");

      DhcpMessage m = DhcpCodec.decode(packet);

      assertThat(m.messageType()).contains(MessageType.DISCOVER);
      assertThat(m.mac()).isEqualTo("02:42:0a:d5:63:02");
      assertThat(m.options().vendorClass()).contains("udhcp 1.35.0");
      assertThat(m.options().get(OptionCode.MAX_MESSAGE_SIZE).map(DhcpOption::data))
          .hasValueSatisfying(v -> assertThat(v).containsExactly(0x02, 0x40));
      assertThat(m.options().clientId()).hasValueSatisfying(v ->
          assertThat(HexFormat.of().formatHex(v)).isEqualTo("0102420ad56302"));
      assertThat(m.options().parameterRequestList()).containsExactly(1, 3, 6, 12, 15, 28, 42);
      assertThat(DhcpCodec.encode(m)).isEqualTo(packet);
    }

    @Test
    void udhcpcSendingUefiPxeOptionsDecodesArchNdiAndUuid() throws Exception {
      byte[] packet = resource("udhcpc-pxe-efi64-discover.bin");

      DhcpMessage m = DhcpCodec.decode(packet);

      assertThat(m.options().vendorClass()).contains("PXEClient:Arch:00007:UNDI:003016");
      assertThat(m.options().clientArchitectures()).containsExactly(ClientArch.EFI_BC);
      assertThat(m.options().clientArchitectures().get(0).shortName()).isEqualTo("efi64");
      assertThat(m.options().clientNdi()).hasValueSatisfying(v -> assertThat(v).containsExactly(1, 3, 0x10));
      assertThat(m.options().clientUuid()).hasValueSatisfying(v ->
          assertThat(HexFormat.of().formatHex(v)).isEqualTo("00a1b2c3d4e5f60718293a4b5c6d7e8f90"));
      assertThat(m.options().parameterRequestList()).contains(66, 67);
      assertThat(DhcpCodec.encode(m)).isEqualTo(packet);
    }
  }

  @Nested
  @DisplayName("option overload (RFC 2132 §9.3, RFC 3396 §5)")
  class Overload {
    @Test
    void readsOptionsFromFileThenSnameWhenOverloadIs3() throws Exception {
      // GIVEN options field: 53, 52=3, 43 part 1; file: 43 part 2, 67; sname: 43 part 3, 12
      PacketBytes p = PacketBytes.requestHeader(0, 9, 0, NO_RELAY, MAC);
      byte[] sname = new PacketBytes().u8(43, 1).ascii("C").u8(12, 4).ascii("host").u8(255).padTo(64).bytes();
      byte[] file = new PacketBytes().u8(43, 1).ascii("B").u8(67, 8).ascii("boot.efi").u8(255).padTo(128).bytes();
      byte[] packet = p.u8(toInts(sname)).u8(toInts(file)).u8(99, 130, 83, 99)
          .u8(53, 1, 1).u8(52, 1, 3).u8(43, 1).ascii("A").u8(255).padTo(300).bytes();

      DhcpMessage m = DhcpCodec.decode(packet);

      // THEN values come from all three fields, concatenated options → file → sname
      assertThat(m.options().vendorSpecific()).hasValueSatisfying(v -> assertThat(new String(v, StandardCharsets.US_ASCII)).isEqualTo("ABC"));
      assertThat(m.options().bootFileName()).contains("boot.efi");
      assertThat(m.options().hostName()).contains("host");
      assertThat(m.options().has(OptionCode.OVERLOAD)).isFalse();
      assertThat(m.file()).isEmpty();
      assertThat(m.sname()).isEmpty();
    }

    @Test
    void ignoresAnOverloadOptionInsideAnOverloadedFieldSoNoFieldIsReadTwiceOrLoops() throws Exception {
      // GIVEN options say "file holds options"; the file field says "overload 3" (would add sname, and loop)
      byte[] file = new PacketBytes().u8(52, 1, 3).u8(67, 4).ascii("a.ef").u8(255).padTo(128).bytes();
      byte[] sname = new PacketBytes().field("tftp.example", 64).bytes();
      byte[] packet = PacketBytes.requestHeader(0, 9, 0, NO_RELAY, MAC).u8(toInts(sname)).u8(toInts(file))
          .u8(99, 130, 83, 99).u8(53, 1, 1).u8(52, 1, 1).u8(255).padTo(300).bytes();

      DhcpMessage m = DhcpCodec.decode(packet);

      // THEN only the file field was read as options; sname stays a server name
      assertThat(m.options().bootFileName()).contains("a.ef");
      assertThat(m.sname()).isEqualTo("tftp.example");
      assertThat(m.file()).isEmpty();
    }

    @Test
    void keepsSnameAndFileAsTextWithoutOverload() throws Exception {
      byte[] packet = PacketBytes.requestHeader(0, 9, 0, NO_RELAY, MAC).field("server", 64).field("pxelinux.0", 128)
          .u8(99, 130, 83, 99).u8(53, 1, 1).u8(255).padTo(300).bytes();

      DhcpMessage m = DhcpCodec.decode(packet);

      assertThat(m.sname()).isEqualTo("server");
      assertThat(m.file()).isEqualTo("pxelinux.0");
    }
  }

  @Nested
  @DisplayName("malformed packets are refused with MalformedPacketException")
  class Malformed {
    static Stream<Arguments> cases() {
      byte[] good = goldenDiscover();
      return Stream.of(
          Arguments.of("empty datagram", new byte[0], "truncated"),
          Arguments.of("one byte short of header + cookie (RFC 2131 §2)", Arrays.copyOf(good, 239), "truncated"),
          Arguments.of("header without cookie", Arrays.copyOf(good, 236), "truncated"),
          Arguments.of("wrong magic cookie (RFC 2131 §3)", with(good, 236, 0x63, 0x82, 0x53, 0x64), "magic cookie"),
          Arguments.of("op neither request nor reply", with(good, 0, 3), "op 3"),
          Arguments.of("hlen larger than chaddr", with(good, 2, 17), "hlen"),
          Arguments.of("hops beyond 16 (RFC 1542 §4.1.1)", with(good, 3, 17), "hops"),
          Arguments.of("hops 255", with(good, 3, 255), "hops"),
          Arguments.of("option length runs past the packet", optionsPacket(53, 1, 1, 12, 200, 'a', 'b'), "runs past"),
          Arguments.of("option code without length byte at the end", truncatedAfterCode(), "no length byte"),
          Arguments.of("no message type: plain BOOTP (RFC 2132 §9.6)", optionsPacket(55, 1, 1, 255), "no DHCP message type"),
          Arguments.of("unknown message type", optionsPacket(53, 1, 42, 255), "unsupported DHCP message type"),
          Arguments.of("message type of length 2", optionsPacket(53, 2, 1, 1, 255), "option 53"),
          Arguments.of("requested IP of length 3", optionsPacket(53, 1, 3, 50, 3, 10, 0, 0, 255), "option 50"),
          Arguments.of("router list not a multiple of 4", optionsPacket(53, 1, 1, 3, 6, 1, 2, 3, 4, 5, 6, 255), "option 3"),
          Arguments.of("client arch of odd length (RFC 4578 §2.1)", optionsPacket(53, 1, 1, 93, 3, 0, 0, 7, 255), "option 93"),
          Arguments.of("client NDI not 3 bytes (RFC 4578 §2.2)", optionsPacket(53, 1, 1, 94, 2, 1, 2, 255), "option 94"),
          Arguments.of("UUID of 16 bytes without type (RFC 4578 §2.3)", optionsPacket(uuid(16)), "option 97"),
          Arguments.of("UUID with type 1", optionsPacket(uuidType1()), "option 97"),
          Arguments.of("overload value 4", optionsPacket(53, 1, 1, 52, 1, 4, 255), "option 52"),
          Arguments.of("overload of length 2", optionsPacket(53, 1, 1, 52, 2, 1, 1, 255), "option 52"),
          Arguments.of("option in overloaded file field runs past it", overloadedFileOverrun(), "file field"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void refuses(String why, byte[] packet, String reason) {
      assertThatThrownBy(() -> DhcpCodec.decode(packet))
          .isInstanceOf(MalformedPacketException.class)
          .hasMessageContaining(reason);
    }

    @Test
    void toleratesAMissingEndOptionAtTheEndOfThePacket() throws Exception {
      byte[] packet = optionsPacket(53, 1, 1, 12, 2, 'p', 'c');

      DhcpMessage m = DhcpCodec.decode(packet);

      assertThat(m.options().hostName()).contains("pc");
    }

    @Test
    void ignoresBytesAfterTheEndOption() throws Exception {
      byte[] packet = optionsPacket(53, 1, 1, 255, 12, 200, 1, 2, 3);

      DhcpMessage m = DhcpCodec.decode(packet);

      assertThat(m.options().all()).extracting(DhcpOption::code).containsExactly(53);
    }

    @Test
    void neverThrowsAnythingButMalformedPacketExceptionOnRandomGarbage() {
      Random random = new Random(42);
      byte[] good = goldenDiscover();
      int decoded = 0;
      for (int i = 0; i < 20_000; i++) {
        byte[] packet = random.nextInt(3) == 0 ? new byte[random.nextInt(600)] : good.clone();
        if (packet.length == good.length) {
          for (int flips = random.nextInt(8) + 1; flips > 0; flips--) {
            packet[random.nextInt(packet.length)] = (byte) random.nextInt(256);
          }
        } else {
          random.nextBytes(packet);
        }
        try {
          DhcpMessage m = DhcpCodec.decode(packet);
          decoded++;
          assertThat(DhcpCodec.decode(DhcpCodec.encode(m))).isEqualTo(m);
        } catch (MalformedPacketException expected) {
          assertThat(expected.getMessage()).isNotBlank();
        }
      }
      assertThat(decoded).as("some mutated packets stay valid").isPositive();
    }
  }

  @Test
  void roundTripsRandomMessages() throws Exception {
    Random random = new Random(7);
    for (int i = 0; i < 500; i++) {
      DhcpOptions.Builder options = DhcpOptions.builder().messageType(MessageType.values()[random.nextInt(8)]);
      for (int n = random.nextInt(6); n > 0; n--) {
        byte[] value = new byte[random.nextInt(400)];
        random.nextBytes(value);
        options.set(100 + random.nextInt(50), value); // codes without length rules
      }
      byte[] mac = new byte[6];
      random.nextBytes(mac);
      DhcpMessage m = new DhcpMessage(1 + random.nextInt(2), 1, 6, random.nextInt(17), random.nextInt(),
          random.nextInt(65536), random.nextBoolean() ? DhcpMessage.FLAG_BROADCAST : 0,
          new Ipv4(random.nextInt()), new Ipv4(random.nextInt()), new Ipv4(random.nextInt()), new Ipv4(random.nextInt()),
          mac, random.nextBoolean() ? "srv" + i : "", random.nextBoolean() ? "file" + i + ".efi" : "", options.build());

      DhcpMessage back = DhcpCodec.decode(DhcpCodec.encode(m));

      assertThat(back).isEqualTo(m);
    }
  }

  // -------------------------------------------------------------- helpers

  /** A valid header + cookie followed by the given option bytes (not padded: the options run to the end). */
  static byte[] optionsPacket(int... options) {
    return PacketBytes.requestHeader(0, 5, 0, NO_RELAY, MAC).zeros(192).u8(99, 130, 83, 99).u8(options).bytes();
  }

  static byte[] truncatedAfterCode() {
    return PacketBytes.requestHeader(0, 5, 0, NO_RELAY, MAC).zeros(192).u8(99, 130, 83, 99).u8(53, 1, 1, 12).bytes();
  }

  static int[] uuid(int length) {
    int[] out = new int[5 + length + 1];
    out[0] = 53;
    out[1] = 1;
    out[2] = 1;
    out[3] = 97;
    out[4] = length;
    out[out.length - 1] = 255;
    return out;
  }

  static int[] uuidType1() {
    int[] out = uuid(17);
    out[5] = 1;
    return out;
  }

  static byte[] overloadedFileOverrun() {
    byte[] file = new PacketBytes().zeros(120).u8(67, 20).ascii("abcdef").bytes();
    return PacketBytes.requestHeader(0, 5, 0, NO_RELAY, MAC).zeros(64).u8(toInts(file))
        .u8(99, 130, 83, 99).u8(53, 1, 1, 52, 1, 1, 255).padTo(300).bytes();
  }

  static byte[] with(byte[] packet, int offset, int... values) {
    byte[] copy = packet.clone();
    for (int i = 0; i < values.length; i++) {
      copy[offset + i] = (byte) values[i];
    }
    return copy;
  }

  static int[] toInts(byte[] bytes) {
    int[] out = new int[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      out[i] = bytes[i] & 0xFF;
    }
    return out;
  }
}
