#!/usr/bin/python3
"""Stand-in of `cron-billmgr`, the wrapper the platform's crontab lines go through.

`cron-billmgr sbin/mgrctl -m billmgr checkevent` runs sbin/mgrctl of this mgr root, from the mgr
root, with the rest of the arguments. The program must lie inside the mgr root.
"""

import os
import sys


def main(argv):
    root = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    if not argv:
        sys.stderr.write('usage: cron-billmgr PROGRAM [ARG ...]   (PROGRAM relative to %s)\n' % root)
        return 2
    program = os.path.normpath(os.path.join(root, argv[0]))
    if not program.startswith(root + os.sep) or not os.access(program, os.X_OK):
        sys.stderr.write('cron-billmgr: %s is not a program of %s\n' % (argv[0], root))
        return 2
    os.chdir(root)
    os.execv(program, [program] + argv[1:])
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
