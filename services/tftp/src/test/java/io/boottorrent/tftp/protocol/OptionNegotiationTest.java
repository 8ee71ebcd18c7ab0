package io.boottorrent.tftp.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.tftp.protocol.TftpPacket.OptionAck;
import org.junit.jupiter.api.Test;

class OptionNegotiationTest {
  private static final OptionNegotiation.Limits LIMITS = new OptionNegotiation.Limits(65464, 64);

  @Test
  void answersTheRfc2347ExampleWithItsOack() {
    // GIVEN the RFC 2347 example request (blksize 1432)
    TransferOptions requested = TransferOptions.of("blksize", "1432");
    // WHEN negotiated
    OptionNegotiation.Result result = OptionNegotiation.forRead(requested, TransferMode.OCTET, 10_000, LIMITS);
    // THEN the OACK is the RFC's |6|blksize|0|1432|0| and the transfer uses 1432-byte blocks
    assertThat(result.optionAck()).hasValue(new OptionAck(TransferOptions.of("blksize", "1432")));
    assertThat(TftpCodec.encode(result.optionAck().orElseThrow()))
        .isEqualTo(TftpCodecTest.packet(6, "blksize", "1432"));
    assertThat(result.blksize()).isEqualTo(1432);
    assertThat(result.windowsize()).isEqualTo(1);
  }

  @Test
  void tsizeIsAnsweredWithTheActualFileSizeInTheRequestedOrder() {
    // GIVEN a UEFI-style request: tsize 0 first, then blksize and windowsize
    TransferOptions requested = TransferOptions.of("tsize", "0", "blksize", "1468", "windowsize", "4");
    OptionNegotiation.Result result = OptionNegotiation.forRead(requested, TransferMode.OCTET, 1_048_577, LIMITS);
    // THEN tsize carries the real size (RFC 2349), order is kept
    assertThat(result.optionAck().orElseThrow().options().values())
        .containsExactly(
            java.util.Map.entry("tsize", "1048577"),
            java.util.Map.entry("blksize", "1468"),
            java.util.Map.entry("windowsize", "4"));
    assertThat(result.windowsize()).isEqualTo(4);
  }

  @Test
  void blksizeAndWindowsizeAreClampedToTheServerLimits() {
    OptionNegotiation.Limits small = new OptionNegotiation.Limits(1428, 8);
    OptionNegotiation.Result result = OptionNegotiation.forRead(
        TransferOptions.of("blksize", "65464", "windowsize", "64"), TransferMode.OCTET, 1, small);
    assertThat(result.blksize()).isEqualTo(1428);
    assertThat(result.windowsize()).isEqualTo(8);
    assertThat(result.optionAck().orElseThrow().options().blksize()).hasValue(1428);
    assertThat(result.optionAck().orElseThrow().options().windowsize()).hasValue(8);
  }

  @Test
  void timeoutIsEchoedUnchangedAndReportedToTheCaller() {
    OptionNegotiation.Result result =
        OptionNegotiation.forRead(TransferOptions.of("timeout", "3"), TransferMode.OCTET, 1, LIMITS);
    assertThat(result.timeoutSeconds()).hasValue(3);
    assertThat(result.optionAck().orElseThrow().options().timeout()).hasValue(3);
  }

  @Test
  void withoutAcceptedOptionsThereIsNoOackAndRfc1350Defaults() {
    // GIVEN only an option we do not know
    OptionNegotiation.Result result =
        OptionNegotiation.forRead(TransferOptions.of("multicast", ""), TransferMode.OCTET, 1, LIMITS);
    // THEN no OACK: the transfer starts with DATA 1 in 512-byte lockstep
    assertThat(result.optionAck()).isEmpty();
    assertThat(result.blksize()).isEqualTo(512);
    assertThat(result.windowsize()).isEqualTo(1);
    assertThat(result.timeoutSeconds()).isEmpty();
  }

  @Test
  void tsizeIsNotAnsweredInNetasciiMode() {
    OptionNegotiation.Result result =
        OptionNegotiation.forRead(TransferOptions.of("tsize", "0"), TransferMode.NETASCII, 100, LIMITS);
    assertThat(result.optionAck()).isEmpty();
  }

  @Test
  void limitsOutsideTheRfcRangesAreRejected() {
    assertThatThrownBy(() -> new OptionNegotiation.Limits(65465, 1)).hasMessageContaining("maxBlksize");
    assertThatThrownBy(() -> new OptionNegotiation.Limits(512, 0)).hasMessageContaining("maxWindowsize");
  }
}
