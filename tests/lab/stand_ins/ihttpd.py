#!/usr/bin/python3
"""Stand-in of the platform's web server `ihttpd` for the billmgr.ops lab.

Runs until SIGTERM with its pid in var/run/ihttpd.pid, and serves TLS where etc/ihttpd.conf says
(each lab host on its own loopback address, port 1500) with etc/manager.crt and etc/manager.key:
a handshake, then the connection is closed. lab/panel.json `down` (the panel_down fault) makes it
fail to start, as an ihttpd that cannot load its certificate does.
"""

import os
import socket
import ssl
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), 'lib', 'lab'))

import labhost  # noqa: E402


def listen_address(host):
    """(ip, port) of the first listen block of etc/ihttpd.conf (the lab writes exactly one)."""
    ip, port = '127.0.0.1', 1500
    try:
        with open(host.path('etc', 'ihttpd.conf'), encoding='utf-8') as handle:
            for line in handle:
                words = line.split()
                if len(words) == 2 and words[0] == 'ip':
                    ip = words[1]
                elif len(words) == 2 and words[0] == 'port' and words[1].isdigit():
                    port = int(words[1])
    except OSError:
        pass
    return ip, port


def serve_tls(host, listener):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(host.path('etc', 'manager.crt'), host.path('etc', 'manager.key'))
    while True:
        conn, _peer = listener.accept()
        conn.settimeout(5)
        try:
            with context.wrap_socket(conn, server_side=True):
                pass
        except (OSError, ssl.SSLError):
            conn.close()


def main(_argv):
    host = labhost.Host.from_script(__file__)
    if labhost.read_json(host.path('lab', 'panel.json'), {}).get('down'):
        host.log('ihttpd', 'ihttpd', 'ERROR', 'cannot load certificate %s: no start line' % host.path('etc', 'manager.crt'),
                 '%d:1' % os.getpid())
        return 1
    listener = None
    if os.path.exists(host.path('etc', 'manager.crt')):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(listen_address(host))
        listener.listen(16)
        threading.Thread(target=serve_tls, args=(host, listener), daemon=True).start()
    host.serve_forever('ihttpd', 'ihttpd', 'ihttpd')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
