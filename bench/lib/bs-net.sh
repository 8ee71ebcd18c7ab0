# Boot-storm topology: one server namespace and N client namespaces, each linked by a veth pair to a
# bridge that lives in its own namespace; every link shaped with tbf in BOTH directions (egress of the
# end inside the node = its upload, egress of the bridge-side end = its download).
# Sourced by bench/boot-storm.sh. Namespace and device names all start with "bs-"/"bs"; addresses are
# inside 10.214.0.0/16 only.

BS_BR_NS=bs-br
BS_SRV_NS=bs-srv
BS_SRV_IP=10.214.0.1
BS_PREFIX=16

bs_client_ns() { echo "bs-c$1"; }
bs_client_ip() { echo "10.214.$(( ($1 >> 8) + 1 )).$(( $1 & 255 ))"; }
bs_client_mac() { printf '02:14:01:00:%02x:%02x' $(( $1 >> 8 )) $(( $1 & 255 )); }

# bs_shape NS DEV MBIT: tbf on DEV's egress in NS. burst: 1 ms at the rate but at least 3 full frames,
# queue: 50 ms at the rate (a modest switch buffer).
bs_shape() {
  local ns=$1 dev=$2 mbit=$3
  local burst=$(( mbit * 1000000 / 8 / 1000 ))
  (( burst < 4542 )) && burst=4542
  ip netns exec "$ns" tc qdisc replace dev "$dev" root tbf rate "${mbit}mbit" burst "$burst" latency 50ms
}

# bs_link NODE_NS PORT_NAME IP MAC MBIT: a veth from the node (eth0) to the bridge, addressed, shaped.
bs_link() {
  local ns=$1 port=$2 ip=$3 mac=$4 mbit=$5
  ip link add "$port" netns "$BS_BR_NS" type veth peer name eth0 netns "$ns"
  ip -n "$ns" link set eth0 address "$mac"
  ip -n "$ns" addr add "$ip/$BS_PREFIX" brd + dev eth0
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 up
  # multicast (udpcast) leaves through eth0, not through a missing default route
  ip -n "$ns" route add 224.0.0.0/4 dev eth0
  ip -n "$BS_BR_NS" link set "$port" master bs-br0
  ip -n "$BS_BR_NS" link set "$port" up
  bs_shape "$ns" eth0 "$mbit"
  bs_shape "$BS_BR_NS" "$port" "$mbit"
}

# bs_topology_up N SERVER_MBIT CLIENT_MBIT
bs_topology_up() {
  local n=$1 bs=$2 bc=$3 i
  ip netns add "$BS_BR_NS"
  ip -n "$BS_BR_NS" link set lo up
  # no STP, no IGMP snooping: multicast is flooded to every port like on a plain switch
  ip -n "$BS_BR_NS" link add bs-br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
  ip -n "$BS_BR_NS" link set bs-br0 up
  ip netns add "$BS_SRV_NS"
  bs_link "$BS_SRV_NS" bs-srv "$BS_SRV_IP" 02:14:00:00:00:01 "$bs"
  for (( i = 1; i <= n; i++ )); do
    ip netns add "$(bs_client_ns "$i")"
    bs_link "$(bs_client_ns "$i")" "bs-c$i" "$(bs_client_ip "$i")" "$(bs_client_mac "$i")" "$bc"
  done
}

# Removes every namespace this benchmark creates (bs-br, bs-srv, bs-c*), killing what runs in them.
bs_topology_down() {
  local ns pid
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^bs-(br|srv|c[0-9]+)$'); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null; done
  done
  sleep 0.5
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^bs-(br|srv|c[0-9]+)$'); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
}

# Bytes the server transmitted on its link (every contender's traffic, headers included).
bs_server_tx_bytes() { ip netns exec "$BS_SRV_NS" cat /sys/class/net/eth0/statistics/tx_bytes; }
bs_server_rx_bytes() { ip netns exec "$BS_SRV_NS" cat /sys/class/net/eth0/statistics/rx_bytes; }
