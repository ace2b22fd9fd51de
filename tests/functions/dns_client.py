# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A function that resolves names through the system resolver (glibc's
# getaddrinfo, /etc/resolv.conf) and connects, driven line by line on stdin
# by the DNS tests; one answer line on stdout per command:
#   resolve NAME              -> "ok ADDR,ADDR..." | "gaierror N"
#   connect ADDR PORT         -> "0" | errno (TCP connect; 0 also for a refused port)
#   query RESOLVER NAME       -> "PORT TXID": an A query sent by hand from a new UDP
#                                socket kept open (a forged answer's target)
#   forge SRC QPORT TXID NAME ADDR -> "0" | errno: send, from SRC:53 (bound with
#                                SO_REUSEADDR), an answer giving NAME the address ADDR
import errno, random, socket, struct, sys

keep = []

def qname(name):
    return b''.join(bytes([len(l)]) + l.encode() for l in name.split('.')) + b'\0'

def answer(txid, name, addr):
    hdr = struct.pack('!HHHHHH', txid, 0x8180, 1, 1, 0, 0)
    q = qname(name) + struct.pack('!HH', 1, 1)
    rr = struct.pack('!HHHIH', 0xc00c, 1, 1, 60, 4) + socket.inet_aton(addr)
    return hdr + q + rr

def run(cmd):
    if cmd[0] == 'resolve':
        try:
            res = socket.getaddrinfo(cmd[1], 8080, type=socket.SOCK_STREAM)
        except socket.gaierror as e:
            return 'gaierror %d' % e.errno
        return 'ok ' + ','.join(sorted({r[4][0] for r in res}))
    if cmd[0] == 'connect':
        fam = socket.AF_INET6 if ':' in cmd[1] else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.connect((cmd[1], int(cmd[2])))
            return '0'
        except ConnectionRefusedError:
            return '0'
        except OSError as e:
            return str(e.errno or errno.ETIMEDOUT)
        finally:
            s.close()
    if cmd[0] == 'query':
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(('127.0.0.1', 0))
        txid = random.randrange(1, 65536)
        hdr = struct.pack('!HHHHHH', txid, 0x0100, 1, 0, 0, 0)
        s.sendto(hdr + qname(cmd[2]) + struct.pack('!HH', 1, 1), (cmd[1], 53))
        keep.append(s)
        return '%d %d' % (s.getsockname()[1], txid)
    if cmd[0] == 'forge':
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((cmd[1], 53))
            s.sendto(answer(int(cmd[3]), cmd[4], cmd[5]), ('127.0.0.1', int(cmd[2])))
            return '0'
        except OSError as e:
            return str(e.errno)
        finally:
            s.close()
    return 'unknown'

for line in sys.stdin:
    print(run(line.split()), flush=True)
