package io.boottorrent.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.boottorrent.proto.ApiToken;
import io.boottorrent.proto.Role;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TokenCacheTest {
  final AtomicLong now = new AtomicLong(1_000);
  final ApiToken viewer = ApiToken.newBuilder().setId("a1").setName("v").setRole(Role.VIEWER).build();
  final ByteString h1 = TokenStore.hash("btk_one");
  final ByteString h2 = TokenStore.hash("btk_two");

  @Test
  void anAnswerIsKeptForItsTtlThenAskedAgain() {
    TokenCache cache = new TokenCache(10_000, 100, now::get);
    assertThat(cache.get(h1)).isEmpty();
    cache.put(h1, Optional.of(viewer));
    cache.put(h2, Optional.empty());
    assertThat(cache.get(h1)).contains(Optional.of(viewer));
    assertThat(cache.get(h2)).contains(Optional.empty());
    now.addAndGet(9_999);
    assertThat(cache.get(h1)).contains(Optional.of(viewer));
    now.addAndGet(1);
    assertThat(cache.get(h1)).isEmpty();
    assertThat(cache.get(h2)).isEmpty();
  }

  @Test
  void aZeroTtlKeepsNothingAndTheLeastRecentlyUsedGoesFirst() {
    TokenCache none = new TokenCache(0, 100, now::get);
    none.put(h1, Optional.of(viewer));
    assertThat(none.get(h1)).isEmpty();
    TokenCache two = new TokenCache(10_000, 2, now::get);
    ByteString h3 = TokenStore.hash("btk_three");
    two.put(h1, Optional.of(viewer));
    two.put(h2, Optional.empty());
    assertThat(two.get(h1)).isPresent(); // h1 used last: h2 is the eldest
    two.put(h3, Optional.empty());
    assertThat(two.size()).isEqualTo(2);
    assertThat(two.get(h2)).isEmpty();
    assertThat(two.get(h1)).isPresent();
  }
}
