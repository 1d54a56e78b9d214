#!/usr/bin/python3
"""Stand-in of the platform's worker `core` for the billmgr.ops lab.

`core billmgr -v` prints the version; `core` (or `core billmgr`) is the worker: it runs until
SIGTERM, with its pid in var/run/core.pid. Started by path, it shows as `core` in the process list.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), 'lib', 'lab'))

import labhost  # noqa: E402


def main(argv):
    host = labhost.Host.from_script(__file__)
    if '-v' in argv or '--version' in argv:
        sys.stdout.write('%s\n' % host.settings.get('version', '6.0.0'))
        return 0
    if argv and argv[0] != host.manager:
        sys.stderr.write('usage: core [%s] [-v]\n' % host.manager)
        return 2
    host.serve_forever('core', host.manager, 'core')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
