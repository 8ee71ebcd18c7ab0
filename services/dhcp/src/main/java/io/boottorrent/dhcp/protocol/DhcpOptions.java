package io.boottorrent.dhcp.protocol;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * The options of one message: an ordered list with at most one entry per code (several instances
 * of one option on the wire are one concatenated value here, RFC 3396), with typed accessors for the
 * options this service uses. Accessors trust the lengths, which {@link DhcpCodec#decode} validated;
 * options built in code go through the typed {@link Builder} setters.
 */
public final class DhcpOptions {
  public static final DhcpOptions EMPTY = new DhcpOptions(List.of());

  private final List<DhcpOption> options;

  private DhcpOptions(List<DhcpOption> options) {
    this.options = List.copyOf(options);
  }

  /** @throws IllegalArgumentException if a code appears twice */
  public static DhcpOptions of(List<DhcpOption> options) {
    Builder builder = builder();
    for (DhcpOption option : options) {
      if (builder.find(option.code()) >= 0) {
        throw new IllegalArgumentException("option " + option.code() + " appears twice; concatenate the values");
      }
      builder.set(option.code(), option.data());
    }
    return builder.build();
  }

  public static Builder builder() {
    return new Builder(List.of());
  }

  public Builder toBuilder() {
    return new Builder(options);
  }

  /** In wire order. */
  public List<DhcpOption> all() {
    return options;
  }

  public Optional<DhcpOption> get(int code) {
    for (DhcpOption option : options) {
      if (option.code() == code) {
        return Optional.of(option);
      }
    }
    return Optional.empty();
  }

  public boolean has(int code) {
    return get(code).isPresent();
  }

  public Optional<byte[]> bytes(int code) {
    return get(code).map(DhcpOption::data);
  }

  /** Option value as text (ASCII/ISO-8859-1, trailing NULs dropped: some clients send them). */
  public Optional<String> text(int code) {
    return get(code).map(o -> {
      byte[] data = o.data();
      int end = data.length;
      while (end > 0 && data[end - 1] == 0) {
        end--;
      }
      return new String(data, 0, end, StandardCharsets.ISO_8859_1);
    });
  }

  public Optional<Ipv4> address(int code) {
    return get(code).filter(o -> o.length() == 4).map(o -> Ipv4.of(o.data(), 0));
  }

  public List<Ipv4> addresses(int code) {
    return get(code).map(o -> {
      byte[] data = o.data();
      List<Ipv4> out = new ArrayList<>();
      for (int i = 0; i + 4 <= data.length; i += 4) {
        out.add(Ipv4.of(data, i));
      }
      return Collections.unmodifiableList(out);
    }).orElse(List.of());
  }

  /** An unsigned 32-bit value (lease times: 0xFFFFFFFF means infinite). */
  public Optional<Long> u32(int code) {
    return get(code).filter(o -> o.length() == 4).map(o -> Ipv4.of(o.data(), 0).unsigned());
  }

  public Optional<MessageType> messageType() {
    return get(OptionCode.MESSAGE_TYPE).filter(o -> o.length() == 1).flatMap(o -> MessageType.of(o.u8(0)));
  }

  public Optional<Ipv4> subnetMask() {
    return address(OptionCode.SUBNET_MASK);
  }

  public List<Ipv4> routers() {
    return addresses(OptionCode.ROUTER);
  }

  public List<Ipv4> dnsServers() {
    return addresses(OptionCode.DNS_SERVERS);
  }

  public Optional<String> hostName() {
    return text(OptionCode.HOST_NAME);
  }

  public Optional<String> domainName() {
    return text(OptionCode.DOMAIN_NAME);
  }

  /** Option 43's value; for PXE clients it holds PXE sub-options (see {@link #encapsulated}). */
  public Optional<byte[]> vendorSpecific() {
    return bytes(OptionCode.VENDOR_SPECIFIC);
  }

  public Optional<Ipv4> requestedIp() {
    return address(OptionCode.REQUESTED_IP);
  }

  public Optional<Long> leaseTime() {
    return u32(OptionCode.LEASE_TIME);
  }

  public Optional<Ipv4> serverId() {
    return address(OptionCode.SERVER_ID);
  }

  public List<Integer> parameterRequestList() {
    return get(OptionCode.PARAMETER_REQUEST_LIST).map(o -> {
      List<Integer> out = new ArrayList<>();
      for (byte b : o.data()) {
        out.add(b & 0xFF);
      }
      return Collections.unmodifiableList(out);
    }).orElse(List.of());
  }

  public Optional<Long> renewalTime() {
    return u32(OptionCode.RENEWAL_TIME);
  }

  public Optional<Long> rebindingTime() {
    return u32(OptionCode.REBINDING_TIME);
  }

  public Optional<String> vendorClass() {
    return text(OptionCode.VENDOR_CLASS);
  }

  public Optional<byte[]> clientId() {
    return bytes(OptionCode.CLIENT_ID);
  }

  public Optional<String> tftpServerName() {
    return text(OptionCode.TFTP_SERVER_NAME);
  }

  public Optional<String> bootFileName() {
    return text(OptionCode.BOOTFILE_NAME);
  }

  public Optional<byte[]> userClass() {
    return bytes(OptionCode.USER_CLASS);
  }

  /**
   * Whether option 77 names {@code name}: either as the bare text (what iPXE sends) or as one of the
   * length-prefixed instances of RFC 3004.
   */
  public boolean hasUserClass(String name) {
    Optional<byte[]> value = userClass();
    if (value.isEmpty()) {
      return false;
    }
    byte[] data = value.get();
    byte[] wanted = name.getBytes(StandardCharsets.ISO_8859_1);
    if (java.util.Arrays.equals(data, wanted)) {
      return true;
    }
    int i = 0;
    while (i < data.length) {
      int len = data[i] & 0xFF;
      if (len == 0 || i + 1 + len > data.length) {
        return false;
      }
      if (java.util.Arrays.equals(java.util.Arrays.copyOfRange(data, i + 1, i + 1 + len), wanted)) {
        return true;
      }
      i += 1 + len;
    }
    return false;
  }

  public Optional<byte[]> relayAgentInfo() {
    return bytes(OptionCode.RELAY_AGENT_INFO);
  }

  /** Option 93: every architecture the client lists, in its order (usually one). */
  public List<ClientArch> clientArchitectures() {
    return get(OptionCode.CLIENT_ARCH).map(o -> {
      List<ClientArch> out = new ArrayList<>();
      for (int i = 0; i + 2 <= o.length(); i += 2) {
        out.add(new ClientArch((o.u8(i) << 8) | o.u8(i + 1)));
      }
      return Collections.unmodifiableList(out);
    }).orElse(List.of());
  }

  public Optional<byte[]> clientNdi() {
    return bytes(OptionCode.CLIENT_NDI);
  }

  /** Option 97: type byte 0 followed by the 16-byte machine UUID/GUID. */
  public Optional<byte[]> clientUuid() {
    return bytes(OptionCode.CLIENT_UUID);
  }

  public Optional<byte[]> ipxeEncapsulated() {
    return bytes(OptionCode.IPXE_ENCAPSULATED);
  }

  /**
   * Parses an encapsulated option space (option 43's PXE sub-options, option 175, option 82's
   * sub-options): code, length, value, up to an end byte 255 or the end of the value.
   *
   * @throws MalformedPacketException if a sub-option runs past the value
   */
  public static DhcpOptions encapsulated(byte[] value) throws MalformedPacketException {
    Builder builder = builder();
    int i = 0;
    while (i < value.length) {
      int code = value[i] & 0xFF;
      if (code == OptionCode.END) {
        break;
      }
      if (code == OptionCode.PAD) {
        i++;
        continue;
      }
      if (i + 1 >= value.length || i + 2 + (value[i + 1] & 0xFF) > value.length) {
        throw new MalformedPacketException("encapsulated sub-option " + code + " runs past its option");
      }
      int len = value[i + 1] & 0xFF;
      builder.append(code, java.util.Arrays.copyOfRange(value, i + 2, i + 2 + len));
      i += 2 + len;
    }
    return builder.build();
  }

  /** Encodes as an encapsulated option space (code, length, value; terminated by 255). */
  public byte[] encodeEncapsulated() {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (DhcpOption option : options) {
      byte[] data = option.data();
      if (data.length > 255) {
        throw new IllegalArgumentException("encapsulated sub-option " + option.code() + " is longer than 255 bytes");
      }
      out.write(option.code());
      out.write(data.length);
      out.writeBytes(data);
    }
    out.write(OptionCode.END);
    return out.toByteArray();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DhcpOptions other && options.equals(other.options);
  }

  @Override
  public int hashCode() {
    return options.hashCode();
  }

  @Override
  public String toString() {
    return options.toString();
  }

  /** Builds an option list; setting a code that is already present replaces its value in place. */
  public static final class Builder {
    private final List<DhcpOption> options;

    private Builder(List<DhcpOption> initial) {
      options = new ArrayList<>(initial);
    }

    int find(int code) {
      for (int i = 0; i < options.size(); i++) {
        if (options.get(i).code() == code) {
          return i;
        }
      }
      return -1;
    }

    public Builder set(int code, byte[] data) {
      DhcpOption option = new DhcpOption(code, data);
      int at = find(code);
      if (at >= 0) {
        options.set(at, option);
      } else {
        options.add(option);
      }
      return this;
    }

    /** Appends {@code data} to the value of {@code code} (RFC 3396 concatenation), or adds it. */
    public Builder append(int code, byte[] data) {
      int at = find(code);
      if (at < 0) {
        return set(code, data);
      }
      byte[] old = options.get(at).data();
      byte[] joined = java.util.Arrays.copyOf(old, old.length + data.length);
      System.arraycopy(data, 0, joined, old.length, data.length);
      options.set(at, new DhcpOption(code, joined));
      return this;
    }

    public Builder remove(int code) {
      int at = find(code);
      if (at >= 0) {
        options.remove(at);
      }
      return this;
    }

    public Builder text(int code, String value) {
      return set(code, value.getBytes(StandardCharsets.ISO_8859_1));
    }

    public Builder address(int code, Ipv4 address) {
      return set(code, address.toBytes());
    }

    public Builder addresses(int code, List<Ipv4> addresses) {
      if (addresses.isEmpty()) {
        return remove(code);
      }
      byte[] data = new byte[addresses.size() * 4];
      for (int i = 0; i < addresses.size(); i++) {
        System.arraycopy(addresses.get(i).toBytes(), 0, data, i * 4, 4);
      }
      return set(code, data);
    }

    public Builder u32(int code, long value) {
      if (value < 0 || value > 0xFFFFFFFFL) {
        throw new IllegalArgumentException("option " + code + " value out of 32-bit range: " + value);
      }
      return set(code, new Ipv4((int) value).toBytes());
    }

    public Builder u8(int code, int value) {
      return set(code, new byte[] {(byte) value});
    }

    public Builder messageType(MessageType type) {
      return u8(OptionCode.MESSAGE_TYPE, type.code());
    }

    public Builder serverId(Ipv4 address) {
      return address(OptionCode.SERVER_ID, address);
    }

    public Builder requestedIp(Ipv4 address) {
      return address(OptionCode.REQUESTED_IP, address);
    }

    public Builder clientArch(ClientArch arch) {
      return set(OptionCode.CLIENT_ARCH, new byte[] {(byte) (arch.code() >>> 8), (byte) arch.code()});
    }

    public Builder parameterRequestList(int... codes) {
      byte[] data = new byte[codes.length];
      for (int i = 0; i < codes.length; i++) {
        data[i] = (byte) codes[i];
      }
      return set(OptionCode.PARAMETER_REQUEST_LIST, data);
    }

    public DhcpOptions build() {
      return new DhcpOptions(options);
    }
  }
}
