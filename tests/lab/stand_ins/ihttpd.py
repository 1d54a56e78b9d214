#!/usr/bin/python3
"""Stand-in of the platform's web server `ihttpd` for the billmgr.ops lab.

Runs until SIGTERM with its pid in var/run/ihttpd.pid. It listens nowhere: lab hosts share the
machine's network, so port 1500 could belong to one host only.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), 'lib', 'lab'))

import labhost  # noqa: E402


def main(_argv):
    labhost.Host.from_script(__file__).serve_forever('ihttpd', 'ihttpd', 'ihttpd')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
