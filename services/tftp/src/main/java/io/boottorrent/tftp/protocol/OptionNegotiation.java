package io.boottorrent.tftp.protocol;

import io.boottorrent.tftp.protocol.TftpPacket.OptionAck;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Server side of RFC 2347 option negotiation for a read request. The OACK names only the options we
 * accept, in the order the client sent them:
 *
 * <ul>
 *   <li>{@code blksize} (RFC 2348): the client's value, lowered to {@link Limits#maxBlksize()};
 *   <li>{@code windowsize} (RFC 7440): the client's value, lowered to {@link Limits#maxWindowsize()};
 *   <li>{@code timeout} (RFC 2349): the client's value, unchanged (the RFC allows no other); the
 *       caller decides what it means for its own retransmissions ({@link Result#timeoutSeconds()});
 *   <li>{@code tsize} (RFC 2349): the file's size, in octet mode only (in netascii the size on the
 *       wire differs from the file's, as in tftp-hpa);
 *   <li>anything else is ignored.
 * </ul>
 *
 * Without any accepted option there is no OACK and the transfer starts with DATA 1 (RFC 1350).
 */
public final class OptionNegotiation {
  private OptionNegotiation() {}

  /** Server-side ceilings, from {@code tftp.maxBlksize} and {@code tftp.maxWindowsize}. */
  public record Limits(int maxBlksize, int maxWindowsize) {
    public Limits {
      if (maxBlksize < TransferOptions.MIN_BLKSIZE || maxBlksize > TransferOptions.MAX_BLKSIZE) {
        throw new IllegalArgumentException("maxBlksize must be " + TransferOptions.MIN_BLKSIZE + ".."
            + TransferOptions.MAX_BLKSIZE + ", not " + maxBlksize);
      }
      if (maxWindowsize < TransferOptions.MIN_WINDOWSIZE || maxWindowsize > TransferOptions.MAX_WINDOWSIZE) {
        throw new IllegalArgumentException("maxWindowsize must be " + TransferOptions.MIN_WINDOWSIZE + ".."
            + TransferOptions.MAX_WINDOWSIZE + ", not " + maxWindowsize);
      }
    }
  }

  /**
   * What the transfer runs with.
   *
   * @param timeoutSeconds the negotiated RFC 2349 timeout, empty if not negotiated
   * @param optionAck the OACK to send first, empty if no option was accepted
   */
  public record Result(int blksize, int windowsize, OptionalInt timeoutSeconds, Optional<OptionAck> optionAck) {}

  /**
   * @param fileSize size of the file being read, for {@code tsize}
   */
  public static Result forRead(TransferOptions requested, TransferMode mode, long fileSize, Limits limits) {
    int blksize = TransferOptions.DEFAULT_BLKSIZE;
    int windowsize = 1;
    OptionalInt timeout = OptionalInt.empty();
    Map<String, String> accepted = new LinkedHashMap<>();
    for (Map.Entry<String, String> option : requested.values().entrySet()) {
      String value = option.getValue();
      switch (option.getKey()) {
        case TransferOptions.BLKSIZE -> {
          blksize = Math.min(Integer.parseInt(value), limits.maxBlksize());
          accepted.put(TransferOptions.BLKSIZE, Integer.toString(blksize));
        }
        case TransferOptions.WINDOWSIZE -> {
          windowsize = Math.min(Integer.parseInt(value), limits.maxWindowsize());
          accepted.put(TransferOptions.WINDOWSIZE, Integer.toString(windowsize));
        }
        case TransferOptions.TIMEOUT -> {
          timeout = OptionalInt.of(Integer.parseInt(value));
          accepted.put(TransferOptions.TIMEOUT, Integer.toString(timeout.getAsInt()));
        }
        case TransferOptions.TSIZE -> {
          if (mode == TransferMode.OCTET) {
            accepted.put(TransferOptions.TSIZE, Long.toString(fileSize));
          }
        }
        default -> {
          // Unknown to us: RFC 2347 says to ignore it, i.e. leave it out of the OACK.
        }
      }
    }
    Optional<OptionAck> oack = accepted.isEmpty()
        ? Optional.empty()
        : Optional.of(new OptionAck(new TransferOptions(accepted)));
    return new Result(blksize, windowsize, timeout, oack);
  }
}
