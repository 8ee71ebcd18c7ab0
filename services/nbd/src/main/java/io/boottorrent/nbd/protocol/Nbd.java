package io.boottorrent.nbd.protocol;

/**
 * Constants of the NBD protocol (NetworkBlockDevice/nbd doc/proto.md, fixed newstyle negotiation);
 * names as in the spec without the NBD_ prefix.
 */
public final class Nbd {
  private Nbd() {}

  /** "NBDMAGIC", the first 8 bytes of the server greeting. */
  public static final long NBDMAGIC = 0x4e42444d41474943L;
  /** "IHAVEOPT": newstyle greeting magic and the magic of every option request. */
  public static final long IHAVEOPT = 0x49484156454F5054L;
  /** Magic of every option reply. */
  public static final long OPTION_REPLY_MAGIC = 0x3e889045565a9L;
  public static final int REQUEST_MAGIC = 0x25609513;
  public static final int SIMPLE_REPLY_MAGIC = 0x67446698;

  // handshake flags (server, 16 bits) and client flags (32 bits)
  public static final int FLAG_FIXED_NEWSTYLE = 1;
  public static final int FLAG_NO_ZEROES = 1 << 1;
  public static final int FLAG_C_FIXED_NEWSTYLE = 1;
  public static final int FLAG_C_NO_ZEROES = 1 << 1;

  // options
  public static final int OPT_EXPORT_NAME = 1;
  public static final int OPT_ABORT = 2;
  public static final int OPT_LIST = 3;
  public static final int OPT_STARTTLS = 5;
  public static final int OPT_INFO = 6;
  public static final int OPT_GO = 7;
  public static final int OPT_STRUCTURED_REPLY = 8;
  public static final int OPT_LIST_META_CONTEXT = 9;
  public static final int OPT_SET_META_CONTEXT = 10;
  public static final int OPT_EXTENDED_HEADERS = 11;

  // option reply types
  public static final int REP_ACK = 1;
  public static final int REP_SERVER = 2;
  public static final int REP_INFO = 3;
  private static final int REP_FLAG_ERROR = 1 << 31;
  public static final int REP_ERR_UNSUP = REP_FLAG_ERROR | 1;
  public static final int REP_ERR_POLICY = REP_FLAG_ERROR | 2;
  public static final int REP_ERR_INVALID = REP_FLAG_ERROR | 3;
  public static final int REP_ERR_UNKNOWN = REP_FLAG_ERROR | 6;
  public static final int REP_ERR_TOO_BIG = REP_FLAG_ERROR | 9;

  // info types (NBD_OPT_INFO/GO)
  public static final int INFO_EXPORT = 0;
  public static final int INFO_NAME = 1;
  public static final int INFO_DESCRIPTION = 2;
  public static final int INFO_BLOCK_SIZE = 3;

  // transmission flags (16 bits)
  public static final int FLAG_HAS_FLAGS = 1;
  public static final int FLAG_READ_ONLY = 1 << 1;
  public static final int FLAG_SEND_FLUSH = 1 << 2;
  public static final int FLAG_CAN_MULTI_CONN = 1 << 8;

  // commands
  public static final int CMD_READ = 0;
  public static final int CMD_WRITE = 1;
  public static final int CMD_DISC = 2;
  public static final int CMD_FLUSH = 3;
  public static final int CMD_TRIM = 4;
  public static final int CMD_CACHE = 5;
  public static final int CMD_WRITE_ZEROES = 6;
  public static final int CMD_BLOCK_STATUS = 7;

  // errors (errno values the spec fixes)
  public static final int EPERM = 1;
  public static final int EIO = 5;
  public static final int EINVAL = 22;
  public static final int EOVERFLOW = 75;
  public static final int ENOTSUP = 95;

  /** The spec's limit on export names (and on NBD_INFO_NAME/DESCRIPTION strings). */
  public static final int MAX_NAME_BYTES = 4096;
}
