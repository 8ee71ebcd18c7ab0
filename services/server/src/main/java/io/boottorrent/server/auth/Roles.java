package io.boottorrent.server.auth;

import io.boottorrent.proto.Role;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The three roles, each including the ones below it: {@code admin} ⊃ {@code operator} ⊃ {@code viewer}
 * (docs/SECURITY.md "Authentication").
 */
public final class Roles {
  /** Every role a token may have, weakest first. */
  public static final List<Role> ALL = List.of(Role.VIEWER, Role.OPERATOR, Role.ADMIN);

  private Roles() {}

  /** Whether a token with role {@code have} may do what needs {@code need}. */
  public static boolean includes(Role have, Role need) {
    return ALL.contains(have) && ALL.contains(need) && have.getNumber() >= need.getNumber();
  }

  /** The roles {@code role} includes, itself last ({@code operator}: viewer, operator). */
  public static List<Role> implied(Role role) {
    return ALL.stream().filter(r -> includes(role, r)).toList();
  }

  /** A role's name as operators write it: {@code viewer}, {@code operator}, {@code admin}. */
  public static String name(Role role) {
    return role.name().toLowerCase(Locale.ROOT);
  }

  /**
   * Reads {@code viewer}, {@code operator} or {@code admin}, in any case.
   *
   * @throws IllegalArgumentException naming the value and the roles there are
   */
  public static Role parse(String value) {
    for (Role r : ALL) {
      if (r.name().equalsIgnoreCase(value == null ? "" : value.trim())) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown role '" + value + "': expected one of "
        + ALL.stream().map(Roles::name).collect(Collectors.joining(", ")));
  }
}
