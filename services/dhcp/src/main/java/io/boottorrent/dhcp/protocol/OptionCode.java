package io.boottorrent.dhcp.protocol;

/** Option codes this service reads or writes (RFC 2132 unless noted). */
public final class OptionCode {
  private OptionCode() {}

  public static final int PAD = 0;
  public static final int SUBNET_MASK = 1;
  public static final int ROUTER = 3;
  public static final int DNS_SERVERS = 6;
  public static final int HOST_NAME = 12;
  public static final int DOMAIN_NAME = 15;
  public static final int BROADCAST_ADDRESS = 28;
  /** Vendor-specific information; for PXE clients the PXE sub-options (PXE spec 2.1 §2.4.1). */
  public static final int VENDOR_SPECIFIC = 43;
  public static final int REQUESTED_IP = 50;
  public static final int LEASE_TIME = 51;
  public static final int OVERLOAD = 52;
  public static final int MESSAGE_TYPE = 53;
  public static final int SERVER_ID = 54;
  public static final int PARAMETER_REQUEST_LIST = 55;
  public static final int MESSAGE = 56;
  public static final int MAX_MESSAGE_SIZE = 57;
  public static final int RENEWAL_TIME = 58;
  public static final int REBINDING_TIME = 59;
  public static final int VENDOR_CLASS = 60;
  public static final int CLIENT_ID = 61;
  public static final int TFTP_SERVER_NAME = 66;
  public static final int BOOTFILE_NAME = 67;
  /** RFC 3004; iPXE sends the bare text "iPXE". */
  public static final int USER_CLASS = 77;
  /** RFC 3046; a server copies it unchanged into its reply, as the last option. */
  public static final int RELAY_AGENT_INFO = 82;
  /** RFC 4578 §2.1: client system architecture, a list of 16-bit codes. */
  public static final int CLIENT_ARCH = 93;
  /** RFC 4578 §2.2: client network device interface (type 1, major, minor). */
  public static final int CLIENT_NDI = 94;
  /** RFC 4578 §2.3: client machine identifier (type 0 + 16-byte UUID/GUID). */
  public static final int CLIENT_UUID = 97;
  /** iPXE's encapsulated options; its presence says the client is iPXE. */
  public static final int IPXE_ENCAPSULATED = 175;
  public static final int END = 255;
}
