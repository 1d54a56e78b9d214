#!/usr/bin/python3
"""lab/boot of a lab host: what the server's init would start, run once the fleet has mounted it.

Starts core detached when the platform is up (platform_down leaves it stopped, as a failed restart
leaves core), and ihttpd, the web server, which is a service of its own: it runs whether core does or
not (panel_down makes it fail at its start). A provider also answers its resellers over its API while
the platform is up. Stale pid files are replaced. Always exits 0.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), 'lib', 'lab'))

import labhost  # noqa: E402


def main():
    host = labhost.Host.from_script(__file__)
    state = host.state()
    if state.get('up', True) and not state.get('broken') and host.running('core') is None:
        host.spawn('bin/core', 'core')
    if host.running('ihttpd') is None:
        host.spawn('sbin/ihttpd', 'ihttpd')
    # A provider answers its resellers over its API (billmgr_lab/providerapi.py).
    if state.get('up', True) and not state.get('broken') and host.state('provider_api') \
            and host.running('provider_api') is None:
        host.spawn('sbin/provider_api', 'provider_api')
    return 0


if __name__ == '__main__':
    sys.exit(main())
