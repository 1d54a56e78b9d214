#!/usr/bin/python3
"""lab/boot of a lab host: what the server's init would start, run once the fleet has mounted it.

Starts core and ihttpd (and a provider's API) detached when the platform is up (platform_down leaves both stopped, as a
failed restart leaves core); stale pid files are replaced. Always exits 0.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), 'lib', 'lab'))

import labhost  # noqa: E402


def main():
    host = labhost.Host.from_script(__file__)
    state = host.state()
    if state.get('up', True) and not state.get('broken'):
        for name, program in (('core', 'bin/core'), ('ihttpd', 'sbin/ihttpd')):
            if host.running(name) is None:
                host.spawn(program, name)
        # A provider answers its resellers over its API (billmgr_lab/providerapi.py).
        if host.state('provider_api') and host.running('provider_api') is None:
            host.spawn('sbin/provider_api', 'provider_api')
    return 0


if __name__ == '__main__':
    sys.exit(main())
