package io.boottorrent.telemetry;

import io.boottorrent.core.MacAddress;
import io.boottorrent.proto.BootPhase;
import io.boottorrent.proto.BootStage;
import io.boottorrent.server.ProtoHttp;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The query parameters of the telemetry API, read strictly: a parameter the path does not know, one
 * given twice, or a value that does not parse is a {@link ProtoHttp.BadRequest} (400) naming it.
 */
final class Params {
  private final Map<String, List<String>> values;

  /** @param known the parameters this path takes */
  Params(Map<String, List<String>> values, Set<String> known) throws ProtoHttp.BadRequest {
    for (Map.Entry<String, List<String>> e : values.entrySet()) {
      if (!known.contains(e.getKey())) {
        throw new ProtoHttp.BadRequest("unknown parameter '" + e.getKey() + "'; known: "
            + known.stream().sorted().collect(Collectors.joining(", ")));
      }
      if (e.getValue().size() > 1) {
        throw new ProtoHttp.BadRequest("parameter '" + e.getKey() + "' given " + e.getValue().size() + " times");
      }
    }
    this.values = values;
  }

  /** The value, trimmed; null when absent or empty. */
  String text(String name) {
    List<String> v = values.get(name);
    if (v == null || v.isEmpty() || v.get(0).isBlank()) {
      return null;
    }
    return v.get(0).trim();
  }

  /** A MAC in any spelling {@code MacAddress} reads (or another hardware address, lower case). */
  String machine(String name) throws ProtoHttp.BadRequest {
    String text = text(name);
    if (text == null) {
      return null;
    }
    return machineKey(name, text);
  }

  /**
   * A MAC in any spelling {@link MacAddress} reads, as its canonical form; another hardware address
   * (DHCP's chaddr of another length) as DHCP writes it: hex bytes with colons.
   */
  static String machineKey(String name, String text) throws ProtoHttp.BadRequest {
    java.util.Optional<MacAddress> mac = MacAddress.tryParse(text);
    if (mac.isPresent()) {
      return mac.get().canonical();
    }
    String lower = text.toLowerCase(Locale.ROOT);
    if (lower.matches("([0-9a-f]{2}:){1,19}[0-9a-f]{2}")) {
      return lower;
    }
    throw new ProtoHttp.BadRequest(name + ": not a MAC address: '" + text
        + "' (expected aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff or aabbccddeeff)");
  }

  BootStage stage(String name) throws ProtoHttp.BadRequest {
    String text = text(name);
    if (text == null) {
      return null;
    }
    for (BootStage s : BootStage.values()) {
      if (s != BootStage.UNRECOGNIZED && s != BootStage.BOOT_STAGE_UNSPECIFIED && s.name().equalsIgnoreCase(text)) {
        return s;
      }
    }
    throw new ProtoHttp.BadRequest(name + ": not a boot stage: '" + text + "'; known: " + Arrays.stream(BootStage.values())
        .filter(s -> s != BootStage.UNRECOGNIZED && s != BootStage.BOOT_STAGE_UNSPECIFIED)
        .map(Enum::name).collect(Collectors.joining(", ")));
  }

  /** {@code download} or {@code PHASE_DOWNLOAD}, any case. */
  BootPhase phase(String name) throws ProtoHttp.BadRequest {
    String text = text(name);
    if (text == null) {
      return null;
    }
    String wanted = text.toUpperCase(Locale.ROOT);
    for (BootPhase p : BootPhase.values()) {
      if (p != BootPhase.UNRECOGNIZED && p != BootPhase.BOOT_PHASE_UNSPECIFIED
          && (p.name().equals(wanted) || p.name().equals("PHASE_" + wanted))) {
        return p;
      }
    }
    throw new ProtoHttp.BadRequest(name + ": not a boot phase: '" + text + "'; known: " + Arrays.stream(BootPhase.values())
        .filter(p -> p != BootPhase.UNRECOGNIZED && p != BootPhase.BOOT_PHASE_UNSPECIFIED)
        .map(p -> p.name().substring("PHASE_".length()).toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ")));
  }

  /** ms since the epoch, or an ISO-8601 instant ({@code 2025-01-31T12:00:00Z}). */
  Long time(String name) throws ProtoHttp.BadRequest {
    String text = text(name);
    if (text == null) {
      return null;
    }
    if (text.matches("-?[0-9]{1,19}")) {
      try {
        return Long.parseLong(text);
      } catch (NumberFormatException e) {
        // out of range: said below
      }
    }
    try {
      return Instant.parse(text).toEpochMilli();
    } catch (DateTimeParseException | ArithmeticException e) {
      throw new ProtoHttp.BadRequest(name + ": expected ms since the epoch or an ISO-8601 instant"
          + " (2025-01-31T12:00:00Z), got '" + text + "'");
    }
  }

  Boolean bool(String name) throws ProtoHttp.BadRequest {
    String text = text(name);
    if (text == null) {
      return null;
    }
    return switch (text.toLowerCase(Locale.ROOT)) {
      case "true", "1", "yes" -> true;
      case "false", "0", "no" -> false;
      default -> throw new ProtoHttp.BadRequest(name + ": expected true or false, got '" + text + "'");
    };
  }

  /** An integer {@code min..}; above {@code max} is taken as {@code max}; absent: {@code otherwise}. */
  int integer(String name, int min, int max, int otherwise) throws ProtoHttp.BadRequest {
    String text = text(name);
    if (text == null) {
      return otherwise;
    }
    long v;
    try {
      v = Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new ProtoHttp.BadRequest(name + ": expected an integer >= " + min + ", got '" + text + "'");
    }
    if (v < min) {
      throw new ProtoHttp.BadRequest(name + ": expected an integer >= " + min + ", got " + v);
    }
    return (int) Math.min(v, max);
  }

  static void checkRange(Long since, Long until) throws ProtoHttp.BadRequest {
    if (since != null && until != null && since > until) {
      throw new ProtoHttp.BadRequest("since (" + since + ") is after until (" + until + ")");
    }
  }
}
