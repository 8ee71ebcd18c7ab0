package io.boottorrent.nbd.protocol;

import io.boottorrent.nbd.protocol.ClientMessage.Option;
import io.boottorrent.nbd.protocol.ClientMessage.Request;
import io.boottorrent.nbd.protocol.NbdCodec.BlockSizes;
import io.boottorrent.nbd.protocol.NbdCodec.InfoRequest;
import java.io.ByteArrayOutputStream;

/** The server's decisions, pure: the answer to each option, and the error (if any) for a request. */
public final class Negotiation {
  private Negotiation() {}

  /**
   * The one export: read-only, FLUSH accepted (a no-op), and safe for several connections since
   * nothing is ever written (CAN_MULTI_CONN lets QEMU and libnbd open more than one).
   */
  public record Export(String name, long size, BlockSizes blockSizes) {
    public static final int TRANSMISSION_FLAGS =
        Nbd.FLAG_HAS_FLAGS | Nbd.FLAG_READ_ONLY | Nbd.FLAG_SEND_FLUSH | Nbd.FLAG_CAN_MULTI_CONN;

    public Export {
      if (size < 0) {
        throw new IllegalArgumentException("export size " + size + " is negative");
      }
      if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > Nbd.MAX_NAME_BYTES) {
        throw new IllegalArgumentException("export name over " + Nbd.MAX_NAME_BYTES + " bytes: " + name.length());
      }
    }

    /** The empty name is the default export (qemu's nbd://host:port without a path sends it). */
    public boolean answersTo(String requested) {
      return requested.isEmpty() || requested.equals(name);
    }
  }

  public enum Next { CONTINUE, TRANSMIT, CLOSE }

  /** What to send for one option, and what comes after it. */
  public record Outcome(byte[] reply, Next next) {}

  public static Outcome answer(Option option, Export export, boolean noZeroes) {
    int opt = option.option();
    byte[] data = option.data();
    try {
      return switch (opt) {
        case Nbd.OPT_EXPORT_NAME -> {
          String name = NbdCodec.parseExportName(data);
          // no error reply exists for EXPORT_NAME: an unknown name closes the connection
          yield export.answersTo(name)
              ? new Outcome(NbdCodec.exportNameReply(export.size(), Export.TRANSMISSION_FLAGS, noZeroes), Next.TRANSMIT)
              : new Outcome(new byte[0], Next.CLOSE);
        }
        case Nbd.OPT_ABORT -> new Outcome(NbdCodec.optionReply(opt, Nbd.REP_ACK, new byte[0]), Next.CLOSE);
        case Nbd.OPT_LIST -> data.length != 0
            ? new Outcome(NbdCodec.optionError(opt, Nbd.REP_ERR_INVALID, "NBD_OPT_LIST takes no data"), Next.CONTINUE)
            : new Outcome(concat(NbdCodec.serverReply(export.name()), NbdCodec.optionReply(opt, Nbd.REP_ACK,
                new byte[0])), Next.CONTINUE);
        case Nbd.OPT_INFO, Nbd.OPT_GO -> info(opt, NbdCodec.parseInfoRequest(data), export);
        default -> new Outcome(NbdCodec.optionError(opt, Nbd.REP_ERR_UNSUP, "option " + opt + " not supported"),
            Next.CONTINUE);
      };
    } catch (NbdCodec.NameTooLong e) {
      if (opt == Nbd.OPT_EXPORT_NAME) {
        return new Outcome(new byte[0], Next.CLOSE);
      }
      return new Outcome(NbdCodec.optionError(opt, Nbd.REP_ERR_TOO_BIG, e.getMessage()), Next.CONTINUE);
    } catch (NbdProtocolException e) {
      if (opt == Nbd.OPT_EXPORT_NAME) {
        return new Outcome(new byte[0], Next.CLOSE);
      }
      return new Outcome(NbdCodec.optionError(opt, Nbd.REP_ERR_INVALID, e.getMessage()), Next.CONTINUE);
    }
  }

  private static Outcome info(int opt, InfoRequest request, Export export) {
    if (!export.answersTo(request.name())) {
      return new Outcome(NbdCodec.optionError(opt, Nbd.REP_ERR_UNKNOWN, "no export named '" + request.name() + "'"),
          Next.CONTINUE);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(NbdCodec.infoExport(opt, export.size(), Export.TRANSMISSION_FLAGS));
    if (request.infos().contains(Nbd.INFO_BLOCK_SIZE)) {
      out.writeBytes(NbdCodec.infoBlockSize(opt, export.blockSizes()));
    }
    // other info types (NAME, DESCRIPTION, unknown ones) are optional to answer: ignored
    out.writeBytes(NbdCodec.optionReply(opt, Nbd.REP_ACK, new byte[0]));
    return new Outcome(out.toByteArray(), opt == Nbd.OPT_GO ? Next.TRANSMIT : Next.CONTINUE);
  }

  /** 0 when the request may be served (READ) or answered at once (FLUSH), else the NBD error. */
  public static int error(Request r, Export export) {
    if (r.flags() != 0 && (r.type() == Nbd.CMD_READ || r.type() == Nbd.CMD_FLUSH)) {
      // the spec: EINVAL for a command flag not negotiated or not applicable (no FUA, no DF here)
      return Nbd.EINVAL;
    }
    return switch (r.type()) {
      case Nbd.CMD_READ -> {
        long length = r.unsignedLength();
        if (length == 0 || r.offset() < 0 || r.offset() > export.size() || length > export.size() - r.offset()) {
          yield Nbd.EINVAL; // outside the export
        }
        // over the advertised maximum block size: EINVAL, as the spec asks of a server that enforces it
        yield length > export.blockSizes().maximum() ? Nbd.EINVAL : 0;
      }
      case Nbd.CMD_FLUSH -> 0;
      case Nbd.CMD_WRITE, Nbd.CMD_TRIM, Nbd.CMD_WRITE_ZEROES -> Nbd.EPERM; // read-only export
      default -> Nbd.EINVAL; // CACHE, BLOCK_STATUS (not negotiated) and unknown commands
    };
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
