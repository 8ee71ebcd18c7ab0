import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 67))
s.settimeout(15)  # give up if no client shows up
data, addr = s.recvfrom(4096)
open(sys.argv[1], "wb").write(data)
print(len(data), addr)
