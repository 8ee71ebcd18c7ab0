package io.boottorrent.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.boottorrent.proto.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RolesTest {
  @ParameterizedTest(name = "{0} may do what needs {1}: {2}")
  @CsvSource({
      "VIEWER,VIEWER,true", "VIEWER,OPERATOR,false", "VIEWER,ADMIN,false",
      "OPERATOR,VIEWER,true", "OPERATOR,OPERATOR,true", "OPERATOR,ADMIN,false",
      "ADMIN,VIEWER,true", "ADMIN,OPERATOR,true", "ADMIN,ADMIN,true",
      "ROLE_UNSPECIFIED,VIEWER,false"})
  void eachRoleIncludesTheOnesBelowIt(Role have, Role need, boolean allowed) {
    assertThat(Roles.includes(have, need)).isEqualTo(allowed);
  }

  @Test
  void impliedRolesAndNames() {
    assertThat(Roles.implied(Role.OPERATOR)).containsExactly(Role.VIEWER, Role.OPERATOR);
    assertThat(Roles.implied(Role.ROLE_UNSPECIFIED)).isEmpty();
    assertThat(Roles.parse(" Operator ")).isEqualTo(Role.OPERATOR);
    assertThat(Roles.name(Role.ADMIN)).isEqualTo("admin");
    assertThatThrownBy(() -> Roles.parse("root"))
        .hasMessage("unknown role 'root': expected one of viewer, operator, admin");
    assertThatThrownBy(() -> Roles.parse("role_unspecified")).hasMessageContaining("unknown role");
  }
}
