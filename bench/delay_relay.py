"""A TCP relay that holds every byte for a fixed delay each way: a WAN's round trip on loopback.

This kernel has no netem, so the sweep's "real network" rows put one of these in front of each
lab host's sshd. One process serves every host (one listening address per host), so the relay
costs the controller one event loop, not a process per connection::

    delay_relay.py --delay-ms 25 127.0.1.10:2222=127.0.0.10:2222 ...

prints ``ready`` once every address listens, and runs until SIGTERM. Data read at time t is
written at t + delay, in the order read; reading pauses while too much waits, as a real link's
window would hold the sender back.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

# Bytes held per direction before reading pauses (a generous TCP window).
HELD_LIMIT = 4 << 20


class _Direction:
    """One way of one connection: what was read, delivered DELAY seconds later."""

    def __init__(self, loop, delay, writer, reader_transport):
        self.loop = loop
        self.delay = delay
        self.writer = writer
        self.reader_transport = reader_transport
        self.held = 0
        self.paused = False

    def send(self, data):
        self.held += len(data)
        self.loop.call_later(self.delay, self._deliver, data)
        if self.held > HELD_LIMIT and not self.paused:
            self.paused = True
            self.reader_transport.pause_reading()

    def _deliver(self, data):
        self.held -= len(data)
        if not self.writer.is_closing():
            self.writer.write(data)
        if self.paused and self.held <= HELD_LIMIT // 2:
            self.paused = False
            self.reader_transport.resume_reading()

    def close(self):
        self.loop.call_later(self.delay, self._close)

    def _close(self):
        if not self.writer.is_closing():
            self.writer.close()


class _Side(asyncio.Protocol):
    """One socket of a relayed connection; what it reads goes the other way after the delay."""

    def __init__(self, relay):
        self.relay = relay
        self.transport = None
        self.onward = None

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.onward.send(data)

    def eof_received(self):
        if self.onward is not None:
            self.onward.close()
        return False

    def connection_lost(self, exc):
        if self.onward is not None:
            self.onward.close()


class _Client(_Side):
    """The accepted side: connects to the target, holding what arrives until then."""

    def __init__(self, relay, target):
        super().__init__(relay)
        self.target = target
        self.pending = []

    def connection_made(self, transport):
        super().connection_made(transport)
        transport.pause_reading()
        self.relay.loop.create_task(self._connect())

    async def _connect(self):
        loop = self.relay.loop
        try:
            upstream_transport, upstream = await loop.create_connection(lambda: _Side(self.relay), *self.target)
        except OSError:
            self.transport.close()
            return
        delay = self.relay.delay
        self.onward = _Direction(loop, delay, upstream_transport, self.transport)
        upstream.onward = _Direction(loop, delay, self.transport, upstream_transport)
        self.transport.resume_reading()


class Relay:
    def __init__(self, delay, routes):
        self.delay = delay
        self.routes = routes
        self.loop = None

    async def serve(self):
        self.loop = asyncio.get_running_loop()
        servers = [await self.loop.create_server(lambda target=target: _Client(self, target), *listen,
                                                 reuse_address=True)
                   for listen, target in self.routes]
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            self.loop.add_signal_handler(signum, stop.set)
        print('ready', flush=True)
        await stop.wait()
        for server in servers:
            server.close()


def _address(text):
    host, _, port = text.rpartition(':')
    return host, int(port)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--delay-ms', type=float, required=True, help='delay each way (half the round trip)')
    parser.add_argument('routes', nargs='+', help='LISTEN_ADDR:PORT=TARGET_ADDR:PORT')
    args = parser.parse_args(argv)
    routes = [tuple(_address(part) for part in route.split('=', 1)) for route in args.routes]
    asyncio.run(Relay(args.delay_ms / 1000.0, routes).serve())
    return 0


if __name__ == '__main__':
    sys.exit(main())
