package io.boottorrent.dhcp;

import static io.boottorrent.dhcp.Clients.SERVER;
import static io.boottorrent.dhcp.Clients.UNCONFIGURED;
import static org.assertj.core.api.Assertions.assertThat;

import io.boottorrent.dhcp.DhcpServerLogic.Port;
import io.boottorrent.dhcp.Lease.State;
import io.boottorrent.dhcp.protocol.ClientArch;
import io.boottorrent.dhcp.protocol.DhcpMessage;
import io.boottorrent.dhcp.protocol.DhcpOption;
import io.boottorrent.dhcp.protocol.DhcpOptions;
import io.boottorrent.dhcp.protocol.Ipv4;
import io.boottorrent.dhcp.protocol.MessageType;
import io.boottorrent.dhcp.protocol.OptionCode;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DhcpServerLogicTest {
  private static final InetSocketAddress BROADCAST_68 = new InetSocketAddress("255.255.255.255", 68);

  private final AtomicLong clock = new AtomicLong(1_700_000_000_000L);
  private ServerContext ctx;

  @BeforeEach
  void fullMode() {
    ctx = context(Clients.config());
  }

  private ServerContext context(JsonObject config) {
    return new ServerContext(Clients.resolved(config), new LeaseStore(), clock::get);
  }

  private Optional<DhcpReply> send(DhcpMessage request) {
    return DhcpServerLogic.replyFor(ctx, request, UNCONFIGURED);
  }

  private DhcpReply reply(DhcpMessage request) {
    Optional<DhcpReply> reply = send(request);
    assertThat(reply).as("reply to %s", request).isPresent();
    return reply.get();
  }

  /** DISCOVER + REQUEST; returns the bound address. */
  private Ipv4 dora(int client) {
    DhcpReply offer = reply(Clients.discover(client));
    DhcpReply ack = reply(Clients.select(client, offer.message().yiaddr(), SERVER));
    assertThat(ack.type()).isEqualTo(MessageType.ACK);
    return ack.message().yiaddr();
  }

  private void advanceSeconds(long seconds) {
    clock.addAndGet(seconds * 1000);
  }

  @Nested
  @DisplayName("address lifecycle (RFC 2131 §4.3)")
  class Lifecycle {
    @Test
    void discoverRequestGivesAnOfferThenAnAckForTheSameAddressWithThePoolsOptions() {
      // GIVEN a client on the lab subnet without an address
      // WHEN it discovers
      DhcpReply offer = reply(Clients.discover(1));

      // THEN it is offered an address of the range with the pool's options, broadcast (no ARP from Java)
      DhcpMessage o = offer.message();
      assertThat(offer.type()).isEqualTo(MessageType.OFFER);
      assertThat(o.op()).isEqualTo(DhcpMessage.BOOTREPLY);
      assertThat(o.xid()).isEqualTo(Clients.discover(1).xid());
      assertThat(o.mac()).isEqualTo(Clients.macText(1));
      assertThat(o.yiaddr()).isEqualTo(Ipv4.parse("10.213.0.100"));
      assertThat(o.siaddr()).isEqualTo(Ipv4.ZERO);
      assertThat(o.options().serverId()).contains(SERVER);
      assertThat(o.options().subnetMask()).contains(Ipv4.parse("255.255.255.0"));
      assertThat(o.options().routers()).containsExactly(Ipv4.parse("10.213.0.1"));
      assertThat(o.options().dnsServers()).containsExactly(Ipv4.parse("10.213.0.53"), Ipv4.parse("10.213.0.54"));
      assertThat(o.options().domainName()).contains("lab.test");
      assertThat(o.options().leaseTime()).contains(3600L);
      assertThat(o.options().renewalTime()).contains(1800L);
      assertThat(o.options().rebindingTime()).contains(3150L);
      assertThat(offer.destination()).isEqualTo(BROADCAST_68);
      assertThat(ctx.leases().byIp(o.yiaddr())).hasValueSatisfying(l -> {
        assertThat(l.state()).isEqualTo(State.OFFERED);
        assertThat(l.mac()).isEqualTo(Clients.macText(1));
      });

      // WHEN it requests the offered address
      DhcpReply ack = reply(Clients.select(1, o.yiaddr(), SERVER));

      // THEN it is acknowledged and bound for the lease time
      assertThat(ack.type()).isEqualTo(MessageType.ACK);
      assertThat(ack.grantsLease()).isTrue();
      assertThat(ack.message().yiaddr()).isEqualTo(o.yiaddr());
      assertThat(ack.message().options().leaseTime()).contains(3600L);
      assertThat(ack.destination()).isEqualTo(BROADCAST_68);
      assertThat(ctx.leases().byIp(o.yiaddr())).hasValueSatisfying(l -> {
        assertThat(l.state()).isEqualTo(State.BOUND);
        assertThat(l.expiresAtMs()).isEqualTo(clock.get() + 3_600_000);
      });
    }

    @Test
    void differentClientsGetDifferentAddressesAndTheSameClientGetsItsAddressAgain() {
      Ipv4 a = dora(1);
      Ipv4 b = dora(2);

      DhcpReply again = reply(Clients.discover(1));

      assertThat(a).isNotEqualTo(b);
      assertThat(again.message().yiaddr()).isEqualTo(a);
      assertThat(ctx.leases().byIp(a)).map(Lease::state).contains(State.BOUND);
    }

    @Test
    void renewingClientGetsAnAckUnicastToItsAddressWithALaterExpiry() {
      Ipv4 address = dora(1);
      long firstExpiry = ctx.leases().byIp(address).orElseThrow().expiresAtMs();
      advanceSeconds(1800); // T1

      DhcpReply ack = reply(Clients.renew(1, address));

      assertThat(ack.type()).isEqualTo(MessageType.ACK);
      assertThat(ack.message().yiaddr()).isEqualTo(address);
      assertThat(ack.message().ciaddr()).isEqualTo(address);
      assertThat(ack.destination()).isEqualTo(new InetSocketAddress("10.213.0.100", 68));
      assertThat(ctx.leases().byIp(address).orElseThrow().expiresAtMs()).isEqualTo(firstExpiry + 1_800_000);
    }

    @Test
    void rebindingClientAfterAServerRestartWithoutItsLeaseGetsItsAddressBack() {
      // GIVEN a client bound by a server that lost its state (or another instance)
      Ipv4 address = Ipv4.parse("10.213.0.105");

      // WHEN it rebinds (broadcast, ciaddr set) after T2
      DhcpReply ack = reply(Clients.renew(3, address));

      // THEN the free address is confirmed to it
      assertThat(ack.type()).isEqualTo(MessageType.ACK);
      assertThat(ack.message().yiaddr()).isEqualTo(address);
      assertThat(ctx.leases().byIp(address)).map(Lease::mac).contains(Clients.macText(3));
    }

    @Test
    void renewingAnAddressBoundToAnotherClientIsRefusedWithANak() {
      Ipv4 address = dora(1);

      DhcpReply nak = reply(Clients.renew(2, address));

      assertThat(nak.type()).isEqualTo(MessageType.NAK);
      assertThat(ctx.leases().byIp(address)).map(Lease::mac).contains(Clients.macText(1));
    }

    @Test
    void renewingAnAddressOfAnotherServersNetworkGetsNoAnswer() {
      assertThat(send(Clients.renew(1, Ipv4.parse("192.0.2.10")))).isEmpty();
    }

    @Test
    void releaseFreesTheAddressWhichAnotherClientMayThenGet() {
      ctx = context(withRange(Clients.config(), "10.213.0.100", "10.213.0.100"));
      Ipv4 address = dora(1);
      assertThat(send(Clients.discover(2))).as("pool of one is taken").isEmpty();

      Optional<DhcpReply> none = send(Clients.release(1, address));

      assertThat(none).isEmpty();
      assertThat(ctx.leases().byIp(address)).map(Lease::state).contains(State.RELEASED);
      assertThat(reply(Clients.discover(2)).message().yiaddr()).isEqualTo(address);
    }

    @Test
    void releaseOfAnAddressTheClientDoesNotHoldChangesNothing() {
      Ipv4 address = dora(1);

      send(Clients.release(2, address));

      assertThat(ctx.leases().byIp(address)).map(Lease::state).contains(State.BOUND);
    }

    @Test
    void declinedAddressIsNotOfferedToAnyoneUntilTheHoldExpires() {
      ctx = context(withRange(Clients.config(), "10.213.0.100", "10.213.0.101"));
      Ipv4 declined = reply(Clients.discover(1)).message().yiaddr();

      assertThat(send(Clients.decline(1, declined))).isEmpty();

      assertThat(ctx.leases().byIp(declined)).map(Lease::state).contains(State.DECLINED);
      Ipv4 next = dora(1);
      assertThat(next).isNotEqualTo(declined);
      assertThat(send(Clients.discover(2))).as("the only other address is bound to client 1").isEmpty();
      advanceSeconds(601);
      assertThat(reply(Clients.discover(2)).message().yiaddr()).isEqualTo(declined);
    }

    @Test
    void declineOfAnAddressTheClientWasNotGivenIsIgnored() {
      Ipv4 address = dora(1);

      send(Clients.decline(2, address));

      assertThat(ctx.leases().byIp(address)).map(Lease::state).contains(State.BOUND);
    }

    @Test
    void informGetsAnAckWithOptionsButNoAddressNorLeaseTime_rfc2131_4_3_5() {
      Ipv4 own = Ipv4.parse("10.213.0.42");

      DhcpReply ack = reply(Clients.inform(4, own));

      assertThat(ack.type()).isEqualTo(MessageType.ACK);
      assertThat(ack.grantsLease()).isFalse();
      assertThat(ack.message().yiaddr()).isEqualTo(Ipv4.ZERO);
      assertThat(ack.message().ciaddr()).isEqualTo(own);
      assertThat(ack.message().options().leaseTime()).isEmpty();
      assertThat(ack.message().options().routers()).containsExactly(Ipv4.parse("10.213.0.1"));
      assertThat(ack.destination()).isEqualTo(new InetSocketAddress("10.213.0.42", 68));
      assertThat(ctx.leases().size()).isZero();
    }

    @Test
    void anOfferNeverRequestedGoesToANewClientOnlyWhenThePoolIsOtherwiseFull() {
      ctx = context(withRange(Clients.config(), "10.213.0.100", "10.213.0.101"));
      Ipv4 first = reply(Clients.discover(1)).message().yiaddr();
      // while an address is free, an offer holds its own
      Ipv4 second = reply(Clients.discover(2)).message().yiaddr();
      assertThat(second).isNotEqualTo(first);

      // WHEN a third client comes and the pool holds nothing but the two offers
      DhcpReply third = reply(Clients.discover(3));

      // THEN it gets the oldest offer's address; that offer's client is refused if it REQUESTs it late
      assertThat(third.message().yiaddr()).isEqualTo(first);
      assertThat(reply(Clients.select(1, first, SERVER)).type()).isEqualTo(MessageType.NAK);
      assertThat(reply(Clients.select(2, second, SERVER)).type()).isEqualTo(MessageType.ACK);
      assertThat(reply(Clients.select(3, first, SERVER)).type()).isEqualTo(MessageType.ACK);
      // AND a bound address is never taken back
      assertThat(send(Clients.discover(4))).isEmpty();
      assertThat(ctx.offerLimiter().reclaimedOffers()).isEqualTo(1);
    }

    @Test
    void anOfferHoldsItsAddressForTheOfferHoldThenItIsFree() {
      ctx = context(withRange(Clients.config(), "10.213.0.100", "10.213.0.101"));
      Ipv4 offered = reply(Clients.discover(1)).message().yiaddr();
      assertThat(reply(Clients.discover(2)).message().yiaddr()).isNotEqualTo(offered);
      advanceSeconds(61);
      // both offers expired: client 3 gets a free address (the one free longest), none is taken back
      assertThat(reply(Clients.discover(3)).message().yiaddr()).isEqualTo(offered);
      assertThat(ctx.offerLimiter().reclaimedOffers()).isZero();
      assertThat(reply(Clients.select(1, offered, SERVER)).type()).isEqualTo(MessageType.NAK);
    }

    @Test
    void poolExhaustionMeansNoOfferUntilAnAddressIsFree() {
      Set<Ipv4> given = new HashSet<>();
      for (int client = 1; client <= 10; client++) {
        given.add(dora(client));
      }

      Optional<DhcpReply> eleventh = send(Clients.discover(11));

      assertThat(given).hasSize(10);
      assertThat(eleventh).isEmpty();
      advanceSeconds(3601); // every lease expired
      assertThat(reply(Clients.discover(11)).message().yiaddr()).isIn(given);
    }

    @Test
    void clientChoosingAnotherServersOfferFreesOurOffer() {
      Ipv4 offered = reply(Clients.discover(1)).message().yiaddr();

      Optional<DhcpReply> none = send(Clients.select(1, Ipv4.parse("10.213.0.200"), Ipv4.parse("10.213.0.250")));

      assertThat(none).isEmpty();
      assertThat(ctx.leases().byIp(offered)).map(Lease::state).contains(State.RELEASED);
    }
  }

  @Nested
  @DisplayName("NAK (RFC 2131 §4.3.2)")
  class Nak {
    @Test
    void initRebootForAnAddressOnAnotherNetworkIsNakedByBroadcast() {
      DhcpReply nak = reply(Clients.initReboot(1, Ipv4.parse("192.168.1.50")));

      assertThat(nak.type()).isEqualTo(MessageType.NAK);
      assertThat(nak.message().yiaddr()).isEqualTo(Ipv4.ZERO);
      assertThat(nak.message().options().serverId()).contains(SERVER);
      assertThat(nak.message().options().leaseTime()).isEmpty();
      assertThat(nak.destination()).isEqualTo(BROADCAST_68);
      assertThat(ctx.leases().size()).isZero();
    }

    @Test
    void initRebootForAnAddressBoundToAnotherClientIsNaked() {
      Ipv4 address = dora(1);

      DhcpReply nak = reply(Clients.initReboot(2, address));

      assertThat(nak.type()).isEqualTo(MessageType.NAK);
      assertThat(ctx.leases().byIp(address)).map(Lease::mac).contains(Clients.macText(1));
    }

    @Test
    void initRebootForADifferentAddressThanTheClientsLeaseIsNaked() {
      Ipv4 address = dora(1);

      DhcpReply nak = reply(Clients.initReboot(1, address.plus(5)));

      assertThat(nak.type()).isEqualTo(MessageType.NAK);
      assertThat(ctx.leases().byIp(address)).map(Lease::state).contains(State.BOUND);
    }

    @Test
    void initRebootForItsOwnAddressIsAcked() {
      Ipv4 address = dora(1);

      DhcpReply ack = reply(Clients.initReboot(1, address));

      assertThat(ack.type()).isEqualTo(MessageType.ACK);
      assertThat(ack.message().yiaddr()).isEqualTo(address);
    }

    @Test
    void selectingAnAddressOtherThanTheOfferedOneIsNaked() {
      Ipv4 offered = reply(Clients.discover(1)).message().yiaddr();

      DhcpReply nak = reply(Clients.select(1, offered.plus(3), SERVER));

      assertThat(nak.type()).isEqualTo(MessageType.NAK);
      assertThat(ctx.leases().byIp(offered.plus(3))).isEmpty();
    }

    @Test
    void requestingAnAddressOutsideTheRangeIsNaked() {
      DhcpReply nak = reply(Clients.initReboot(1, Ipv4.parse("10.213.0.200")));

      assertThat(nak.type()).isEqualTo(MessageType.NAK);
    }
  }

  @Nested
  @DisplayName("reservations")
  class Reservations {
    @Test
    void reservedMacGetsItsFixedAddressEvenOutsideTheRange() {
      int reservedClient = 0x9901; // 02:00:00:00:99:01 → 10.213.0.7 in the config

      DhcpReply offer = reply(Clients.discover(reservedClient));
      DhcpReply ack = reply(Clients.select(reservedClient, offer.message().yiaddr(), SERVER));

      assertThat(offer.message().yiaddr()).isEqualTo(Ipv4.parse("10.213.0.7"));
      assertThat(ack.type()).isEqualTo(MessageType.ACK);
      assertThat(ack.message().yiaddr()).isEqualTo(Ipv4.parse("10.213.0.7"));
    }

    @Test
    void anAddressReservedInsideTheRangeIsNeverGivenToAnotherClient() {
      JsonObject config = withRange(Clients.config(), "10.213.0.100", "10.213.0.102");
      config.getJsonObject("dhcp").getJsonObject("reservations").put("02:00:00:00:99:02", "10.213.0.101");
      ctx = context(config);

      Set<Ipv4> others = new HashSet<>();
      for (int client = 1; client <= 3; client++) {
        send(Clients.discover(client)).ifPresent(r -> others.add(r.message().yiaddr()));
      }

      assertThat(others).containsExactlyInAnyOrder(Ipv4.parse("10.213.0.100"), Ipv4.parse("10.213.0.102"));
      assertThat(reply(Clients.initReboot(3, Ipv4.parse("10.213.0.101"))).type()).isEqualTo(MessageType.NAK);
      assertThat(reply(Clients.discover(0x9902)).message().yiaddr()).isEqualTo(Ipv4.parse("10.213.0.101"));
    }
  }

  @Nested
  @DisplayName("relay agents (RFC 2131 §4.1, RFC 3046)")
  class Relay {
    @Test
    void relayedDiscoverGetsAnAddressFromTheRelaysSubnetSentToTheRelayOnPort67() {
      byte[] agentInfo = {1, 4, 'p', 'o', 'r', 't'};
      DhcpMessage relayed = Clients.discover(1,
              Clients.base(MessageType.DISCOVER).set(OptionCode.RELAY_AGENT_INFO, agentInfo))
          .withGiaddr(Ipv4.parse("10.213.5.1")).withHops(1);

      DhcpReply offer = reply(relayed);

      assertThat(offer.message().yiaddr()).isEqualTo(Ipv4.parse("10.213.5.10"));
      assertThat(offer.message().giaddr()).isEqualTo(Ipv4.parse("10.213.5.1"));
      assertThat(offer.message().options().routers()).containsExactly(Ipv4.parse("10.213.5.1"));
      assertThat(offer.destination()).isEqualTo(new InetSocketAddress("10.213.5.1", 67));
      var options = offer.message().options().all();
      assertThat(options.get(options.size() - 1)).isEqualTo(new DhcpOption(OptionCode.RELAY_AGENT_INFO, agentInfo));
    }

    @Test
    void nakThroughARelayHasTheBroadcastBitSoTheRelayBroadcastsIt() {
      DhcpMessage relayed = Clients.initReboot(1, Ipv4.parse("10.213.0.150")).withGiaddr(Ipv4.parse("10.213.5.1"));

      DhcpReply nak = reply(relayed);

      assertThat(nak.type()).isEqualTo(MessageType.NAK);
      assertThat(nak.message().broadcast()).isTrue();
      assertThat(nak.destination()).isEqualTo(new InetSocketAddress("10.213.5.1", 67));
    }

    @Test
    void requestsRelayedFromAnUnknownNetworkGetNoAnswer() {
      assertThat(send(Clients.discover(1).withGiaddr(Ipv4.parse("172.31.0.1")))).isEmpty();
    }
  }

  @Nested
  @DisplayName("network boot")
  class Pxe {
    @ParameterizedTest(name = "arch {0} → {1}")
    @CsvSource({"0, undionly.kpxe, bios", "7, ipxe.efi, efi64", "9, ipxe.efi, efi64", "11, ipxe-arm64.efi, arm64"})
    void firmwarePxeClientGetsNextServerAndTheBootFileForItsArchitecture(int arch, String file, String name) {
      DhcpReply offer = reply(Clients.discover(1, Clients.pxe(new ClientArch(arch))));

      DhcpMessage o = offer.message();
      assertThat(o.yiaddr()).isEqualTo(Ipv4.parse("10.213.0.100"));
      assertThat(o.siaddr()).isEqualTo(SERVER);
      assertThat(o.file()).isEqualTo(file);
      assertThat(o.options().bootFileName()).contains(file);
      assertThat(o.options().tftpServerName()).contains("10.213.0.1");
      assertThat(o.options().vendorClass()).contains("PXEClient");
      // PXE spec §2.4.1: sub-option 6 (discovery control) = 8: no boot server discovery, use the file
      assertThat(o.options().vendorSpecific()).hasValueSatisfying(v -> assertThat(v).containsExactly(6, 1, 8, 255));
      assertThat(offer.isPxeOffer()).isTrue();
      assertThat(offer.boot()).hasValueSatisfying(b -> assertThat(b.archName()).isEqualTo(name));
      DhcpReply ack = reply(Clients.select(1, o.yiaddr(), SERVER)
          .withOptions(Clients.pxe(new ClientArch(arch)).messageType(MessageType.REQUEST)
              .serverId(SERVER).requestedIp(o.yiaddr()).build()));
      assertThat(ack.type()).isEqualTo(MessageType.ACK);
      assertThat(ack.message().file()).isEqualTo(file);
    }

    @Test
    void aMachineWithItsOwnBootFileGetsItWhateverItsArchitectureAndOthersKeepTheirs() {
      // GIVEN machine 1 named in dhcp.hostBootFiles (say, Secure Boot on: shim instead of iPXE)
      JsonObject config = Clients.config();
      config.getJsonObject("dhcp").put("hostBootFiles", new JsonObject().put(Clients.macText(1).toUpperCase(),
          "shimx64.efi"));
      ctx = context(config);
      // THEN it gets shim, another UEFI machine the architecture's file, and machine 1's iPXE its script
      assertThat(reply(Clients.discover(1, Clients.pxe(new ClientArch(7)))).message().file()).isEqualTo("shimx64.efi");
      assertThat(reply(Clients.discover(2, Clients.pxe(new ClientArch(7)))).message().file()).isEqualTo("ipxe.efi");
      assertThat(reply(Clients.discover(1, Clients.pxe(new ClientArch(7)).text(OptionCode.USER_CLASS, "iPXE"))).message().file())
          .startsWith("http://");
    }

    @Test
    void uefiHttpBootClientGetsHttpClientVendorClassAndAUrl() {
      DhcpOptions.Builder options = Clients.pxe(ClientArch.HTTP_X64)
          .text(OptionCode.VENDOR_CLASS, "HTTPClient:Arch:00016:UNDI:003001");

      DhcpReply offer = reply(Clients.discover(1, options));

      assertThat(offer.message().options().vendorClass()).contains("HTTPClient");
      assertThat(offer.message().options().bootFileName()).contains("http://10.213.0.1:8080/boot/ipxe.efi");
      assertThat(offer.message().file()).isEqualTo("http://10.213.0.1:8080/boot/ipxe.efi");
      assertThat(offer.message().options().vendorSpecific()).isEmpty();
      assertThat(offer.boot()).hasValueSatisfying(b -> assertThat(b.archName()).isEqualTo("http"));
    }

    @Test
    void ipxeIdentifiedByUserClassGetsTheBootScriptUrlInsteadOfIpxeAgain() {
      DhcpOptions.Builder options = Clients.pxe(ClientArch.BIOS).text(OptionCode.USER_CLASS, "iPXE");

      DhcpReply offer = reply(Clients.discover(1, options));

      String url = "http://10.213.0.1:8080/boot/ipxe?mac=${net0/mac}";
      assertThat(offer.message().options().bootFileName()).contains(url);
      assertThat(offer.message().file()).isEqualTo(url);
      assertThat(offer.message().options().vendorSpecific()).isEmpty();
      assertThat(offer.boot()).hasValueSatisfying(b -> assertThat(b.kind()).isEqualTo(BootChoice.Kind.IPXE));
      // iPXE setting 176 (no-pxedhcp): iPXE skips its 2 s wait for ProxyDHCP offers
      assertThat(offer.message().options().bytes(OptionCode.IPXE_ENCAPSULATED)).hasValueSatisfying(
          v -> assertThat(v).containsExactly(176, 1, 1));
    }

    @Test
    void ipxeIdentifiedByOption175GetsTheConfiguredScriptTemplate() {
      JsonObject config = Clients.config();
      config.getJsonObject("dhcp").put("ipxeScriptUrl", "http://{serverAddress}:{httpPort}/menu.ipxe?uuid=${uuid}");
      config.getJsonObject("catalog").put("httpPort", 9090);
      ctx = context(config);
      DhcpOptions.Builder options = Clients.pxe(ClientArch.EFI_X86_64).set(OptionCode.IPXE_ENCAPSULATED, new byte[] {19, 1, 1});

      DhcpReply offer = reply(Clients.discover(1, options));

      assertThat(offer.message().options().bootFileName()).contains("http://10.213.0.1:9090/menu.ipxe?uuid=${uuid}");
    }

    @Test
    void pxeClientOfAnArchitectureWithoutBootFileStillGetsAnAddressButNoBootInformation() {
      DhcpReply offer = reply(Clients.discover(1, Clients.pxe(ClientArch.EFI_IA32)));

      assertThat(offer.message().yiaddr()).isEqualTo(Ipv4.parse("10.213.0.100"));
      assertThat(offer.message().options().bootFileName()).isEmpty();
      assertThat(offer.boot()).isEmpty();
    }

    @Test
    void ordinaryClientGetsNoBootInformation() {
      DhcpReply offer = reply(Clients.discover(1));

      assertThat(offer.boot()).isEmpty();
      assertThat(offer.message().file()).isEmpty();
      assertThat(offer.message().options().has(OptionCode.VENDOR_CLASS)).isFalse();
    }
  }

  @Nested
  @DisplayName("two servers on one segment (dhcp.poolShare)")
  class TwoServers {
    private final Ipv4 serverB = Ipv4.parse("10.213.0.2");
    /** Server A, share 0/2 (even addresses), 10.213.0.1; server B, share 1/2 (odd), 10.213.0.2. */
    private ServerContext a;
    private ServerContext b;

    @BeforeEach
    void twoServers() {
      a = context(share(Clients.config(), "0/2"));
      JsonObject configB = share(Clients.config(), "1/2");
      configB.getJsonObject("dhcp").put("serverAddress", serverB.toString());
      b = context(configB);
    }

    private JsonObject share(JsonObject config, String share) {
      config.getJsonObject("dhcp").put("poolShare", share);
      return config;
    }

    private Optional<DhcpReply> to(ServerContext server, DhcpMessage request) {
      return DhcpServerLogic.replyFor(server, request, UNCONFIGURED);
    }

    /** A whole DORA with one server; returns the bound address, or empty when it has none left. */
    private Optional<Ipv4> doraWith(ServerContext server, int client) {
      Optional<DhcpReply> offer = to(server, Clients.discover(client));
      if (offer.isEmpty()) {
        return Optional.empty();
      }
      DhcpReply ack = to(server, Clients.select(client, offer.get().message().yiaddr(),
          server.config().serverAddress())).orElseThrow();
      assertThat(ack.type()).isEqualTo(MessageType.ACK);
      return Optional.of(ack.message().yiaddr());
    }

    @Test
    void bothServersTogetherHandOutEveryAddressOfThePoolOnceAndNeverTheSameOne() {
      // GIVEN servers A (0/2) and B (1/2) with the same pool 10.213.0.100-109
      // WHEN clients take addresses from each until neither has any left
      Set<Ipv4> fromA = new HashSet<>();
      Set<Ipv4> fromB = new HashSet<>();
      for (int client = 1; client <= 20; client++) {
        doraWith(a, client).ifPresent(fromA::add);
        doraWith(b, 100 + client).ifPresent(fromB::add);
      }

      // THEN A gave the even addresses, B the odd ones: disjoint, and together the whole range
      assertThat(fromA).extracting(Ipv4::toString)
          .containsExactlyInAnyOrder("10.213.0.100", "10.213.0.102", "10.213.0.104", "10.213.0.106", "10.213.0.108");
      assertThat(fromB).extracting(Ipv4::toString)
          .containsExactlyInAnyOrder("10.213.0.101", "10.213.0.103", "10.213.0.105", "10.213.0.107", "10.213.0.109");
      assertThat(to(a, Clients.discover(50))).as("A's share is exhausted, B's addresses are not A's").isEmpty();
    }

    @Test
    void aBroadcastDiscoverGetsTwoDifferentOffersAndTheServerNotChosenFreesItsOwn() {
      // GIVEN a client whose broadcast DISCOVER both servers hear
      DhcpReply offerA = to(a, Clients.discover(1)).orElseThrow();
      DhcpReply offerB = to(b, Clients.discover(1)).orElseThrow();
      assertThat(offerA.message().yiaddr()).isNotEqualTo(offerB.message().yiaddr());

      // WHEN it broadcasts its REQUEST for A's offer, naming A (SELECTING)
      DhcpMessage select = Clients.select(1, offerA.message().yiaddr(), SERVER);
      Optional<DhcpReply> ackA = to(a, select);
      Optional<DhcpReply> fromB = to(b, select);

      // THEN A acknowledges, B stays silent and its offered address is free again
      assertThat(ackA).map(DhcpReply::type).contains(MessageType.ACK);
      assertThat(fromB).isEmpty();
      assertThat(b.leases().byIp(offerB.message().yiaddr())).map(Lease::state).contains(State.RELEASED);
    }

    @Test
    void aClientThatMovesToTheOtherServerFreesTheAddressItWasBoundToHere() {
      // GIVEN a client bound by A
      Ipv4 fromA = doraWith(a, 1).orElseThrow();

      // WHEN it reboots and takes B's offer this time
      DhcpReply offerB = to(b, Clients.discover(1)).orElseThrow();
      Optional<DhcpReply> silence = to(a, Clients.select(1, offerB.message().yiaddr(), serverB));

      // THEN A has freed its old address instead of holding it for the rest of the lease
      assertThat(silence).isEmpty();
      assertThat(a.leases().byIp(fromA)).map(Lease::state).contains(State.RELEASED);
    }

    @Test
    void initRebootForAnAddressOfTheOtherServersShareGetsNoAnswerNotANak_rfc2131_4_3_2() {
      // GIVEN a client bound by B, and that A knows from an older lease at another address
      Ipv4 older = doraWith(a, 1).orElseThrow();
      Ipv4 fromB = Ipv4.parse("10.213.0.105");

      // WHEN it reboots and asks to keep B's address (INIT-REBOOT, broadcast)
      DhcpMessage initReboot = Clients.initReboot(1, fromB);
      Optional<DhcpReply> fromA = to(a, initReboot);
      Optional<DhcpReply> byB = to(b, initReboot);

      // THEN A has no record of it there and remains silent, B (which has none either after a restart) confirms it
      assertThat(fromA).isEmpty();
      assertThat(a.leases().byIp(older)).map(Lease::state).contains(State.BOUND);
      assertThat(byB).map(DhcpReply::type).contains(MessageType.ACK);
    }

    @Test
    void rebindingWithTheOtherServersAddressGetsNoAnswerWhileAnAddressOfOurShareIsConfirmed() {
      // GIVEN clients whose leases come from B (odd) and from A (even), rebinding by broadcast after T2
      // WHEN A hears both
      Optional<DhcpReply> peers = to(a, Clients.renew(1, Ipv4.parse("10.213.0.103")));
      Optional<DhcpReply> ours = to(a, Clients.renew(2, Ipv4.parse("10.213.0.104")));

      // THEN only its own address is confirmed; the other is left to B, and A records nothing for it
      assertThat(peers).isEmpty();
      assertThat(a.leases().byIp(Ipv4.parse("10.213.0.103"))).isEmpty();
      assertThat(ours).map(DhcpReply::type).contains(MessageType.ACK);
    }

    @Test
    void addressesOutsideEveryRangeAreStillNakedByBothServers() {
      for (ServerContext server : List.of(a, b)) {
        // GIVEN either server; WHEN a client asks for an address outside the range, or outside every subnet
        DhcpReply outsideRange = to(server, Clients.initReboot(1, Ipv4.parse("10.213.0.201"))).orElseThrow();
        DhcpReply otherNetwork = to(server, Clients.initReboot(1, Ipv4.parse("192.168.1.51"))).orElseThrow();

        // THEN both are NAKed
        assertThat(outsideRange.type()).isEqualTo(MessageType.NAK);
        assertThat(otherNetwork.type()).isEqualTo(MessageType.NAK);
      }
    }

    @Test
    void selectingThisServerWithAnAddressOfTheOtherShareIsNakedAndADiscoverAskingForOneIsOfferedOurs() {
      // GIVEN a client that names A but asks for an odd address (B's share), without an offer from A
      DhcpReply nak = to(a, Clients.select(1, Ipv4.parse("10.213.0.101"), SERVER)).orElseThrow();

      // THEN A refuses it: the client named A, so A has the say
      assertThat(nak.type()).isEqualTo(MessageType.NAK);

      // WHEN a client discovers asking for B's address (option 50)
      DhcpReply offer = to(a, Clients.discover(2, Clients.base(MessageType.DISCOVER)
          .requestedIp(Ipv4.parse("10.213.0.101")))).orElseThrow();

      // THEN A offers one of its own
      assertThat(offer.message().yiaddr().unsigned() % 2).isZero();
    }

    @Test
    void aReservedMacGetsItsAddressFromBothServersWhicheverShareItIsIn() {
      // GIVEN a reservation inside the range, in A's share (even), on both servers
      JsonObject configA = share(Clients.config(), "0/2");
      configA.getJsonObject("dhcp").getJsonObject("reservations").put("02:00:00:00:99:02", "10.213.0.104");
      JsonObject configB = share(Clients.config(), "1/2");
      configB.getJsonObject("dhcp").put("serverAddress", serverB.toString());
      configB.getJsonObject("dhcp").getJsonObject("reservations").put("02:00:00:00:99:02", "10.213.0.104");
      a = context(configA);
      b = context(configB);
      int reserved = 0x9902;

      // WHEN the reserved machine discovers, takes B's offer, and later reboots asking for it again
      DhcpReply offerA = to(a, Clients.discover(reserved)).orElseThrow();
      DhcpReply offerB = to(b, Clients.discover(reserved)).orElseThrow();
      DhcpReply ackB = to(b, Clients.select(reserved, offerB.message().yiaddr(), serverB)).orElseThrow();
      DhcpReply rebootA = to(a, Clients.initReboot(reserved, Ipv4.parse("10.213.0.104"))).orElseThrow();

      // THEN both offer and confirm the same address, so it boots if either server is up
      assertThat(offerA.message().yiaddr()).isEqualTo(Ipv4.parse("10.213.0.104"));
      assertThat(offerB.message().yiaddr()).isEqualTo(Ipv4.parse("10.213.0.104"));
      assertThat(ackB.type()).isEqualTo(MessageType.ACK);
      assertThat(rebootA.type()).isEqualTo(MessageType.ACK);
      // and neither gives it to anybody else
      assertThat(to(b, Clients.initReboot(3, Ipv4.parse("10.213.0.104")))).as("B: A's share").isEmpty();
      assertThat(to(a, Clients.initReboot(3, Ipv4.parse("10.213.0.104")))).map(DhcpReply::type)
          .contains(MessageType.NAK);
    }
  }

  @Nested
  @DisplayName("proxyDHCP mode (PXE spec 2.1)")
  class Proxy {
    @BeforeEach
    void proxyMode() {
      JsonObject config = Clients.config();
      config.getJsonObject("dhcp").put("mode", "proxy");
      ctx = context(config);
    }

    @Test
    void pxeDiscoverGetsAnOfferWithBootInformationAndNoAddress() {
      DhcpReply offer = reply(Clients.discover(1, Clients.pxe(ClientArch.BIOS)));

      DhcpMessage o = offer.message();
      assertThat(offer.type()).isEqualTo(MessageType.OFFER);
      assertThat(o.yiaddr()).isEqualTo(Ipv4.ZERO);
      assertThat(o.siaddr()).isEqualTo(SERVER);
      assertThat(o.file()).isEqualTo("undionly.kpxe");
      assertThat(o.options().vendorClass()).contains("PXEClient");
      assertThat(o.options().serverId()).contains(SERVER);
      assertThat(o.options().all()).extracting(DhcpOption::code)
          .containsExactlyInAnyOrder(53, 54, 60, 43, 66, 67, 97)
          .doesNotContain(OptionCode.LEASE_TIME, OptionCode.SUBNET_MASK, OptionCode.ROUTER);
      assertThat(offer.destination()).isEqualTo(BROADCAST_68);
      assertThat(ctx.leases().size()).isZero();
    }

    @Test
    void requestOnPort4011GetsAnAckWithTheBootFileSentBackToTheClient() {
      InetSocketAddress client = new InetSocketAddress("10.213.0.150", 68);
      DhcpMessage request = Clients.discover(1, Clients.pxe(ClientArch.EFI_BC).messageType(MessageType.REQUEST))
          .withCiaddr(Ipv4.parse("10.213.0.150"));

      DhcpReply ack = DhcpServerLogic.replyFor(ctx, request, client, Port.PXE).orElseThrow();

      assertThat(ack.type()).isEqualTo(MessageType.ACK);
      assertThat(ack.message().yiaddr()).isEqualTo(Ipv4.ZERO);
      assertThat(ack.message().file()).isEqualTo("ipxe.efi");
      assertThat(ack.destination()).isEqualTo(client);
      assertThat(ack.grantsLease()).isFalse();
    }

    @Test
    void ipxeBehindProxyDhcpGetsTheScriptUrlAndThePxeClientMarker() {
      DhcpReply offer = reply(Clients.discover(1, Clients.pxe(ClientArch.BIOS).text(OptionCode.USER_CLASS, "iPXE")));

      assertThat(offer.message().options().bootFileName()).contains("http://10.213.0.1:8080/boot/ipxe?mac=${net0/mac}");
      assertThat(offer.message().options().vendorClass()).contains("PXEClient");
      assertThat(offer.message().yiaddr()).isEqualTo(Ipv4.ZERO);
      // behind proxyDHCP another server hands out addresses: iPXE must keep looking for ProxyDHCP
      assertThat(offer.message().options().bytes(OptionCode.IPXE_ENCAPSULATED)).isEmpty();
    }

    @Test
    void nonPxeClientsAndEveryOtherMessageAreIgnoredAndNoAddressIsEverHandedOut() {
      assertThat(send(Clients.discover(1))).as("plain DISCOVER").isEmpty();
      assertThat(send(Clients.select(1, Ipv4.parse("10.213.0.100"), SERVER))).as("plain REQUEST").isEmpty();
      assertThat(send(Clients.initReboot(1, Ipv4.parse("10.213.0.100")))).isEmpty();
      assertThat(send(Clients.renew(1, Ipv4.parse("10.213.0.100")))).isEmpty();
      assertThat(send(Clients.inform(1, Ipv4.parse("10.213.0.100")))).isEmpty();
      DhcpMessage pxeRequestOn67 = Clients.discover(2, Clients.pxe(ClientArch.BIOS).messageType(MessageType.REQUEST)
          .serverId(SERVER).requestedIp(Ipv4.parse("10.213.0.100")));
      assertThat(send(pxeRequestOn67)).as("PXE REQUEST on port 67").isEmpty();
      for (int client = 0; client < 50; client++) {
        assertThat(reply(Clients.discover(client, Clients.pxe(ClientArch.EFI_X86_64))).message().yiaddr())
            .isEqualTo(Ipv4.ZERO);
      }
      assertThat(ctx.leases().size()).isZero();
    }
  }

  @Test
  void bootReplyPacketsAreNeverAnswered() {
    DhcpMessage d = Clients.discover(1);
    DhcpMessage reply = new DhcpMessage(DhcpMessage.BOOTREPLY, d.htype(), d.hlen(), 0, d.xid(), 0, 0, Ipv4.ZERO,
        Ipv4.ZERO, Ipv4.ZERO, Ipv4.ZERO, d.chaddr(), "", "", d.options());

    assertThat(send(reply)).isEmpty();
  }

  static JsonObject withRange(JsonObject config, String start, String end) {
    JsonObject pool = config.getJsonObject("dhcp").getJsonArray("pools").getJsonObject(0);
    pool.put("rangeStart", start).put("rangeEnd", end);
    return config;
  }
}
