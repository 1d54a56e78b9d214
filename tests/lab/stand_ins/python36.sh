#!/bin/sh
# The lab's EL 8 system Python (3.6, too old for ansible-core 2.19 modules): set a host's
# ansible_python_interpreter to /usr/local/mgr5/lab/python36 to sweep a host Ansible cannot run
# modules on. It answers a version question as Python 3.6.8 does; anything else (a module) fails
# as a 3.6 interpreter fails on ansible-core 2.19's module code.
if [ "$1" = "-c" ]; then
    case "$2" in
        *version_info*) echo "/usr/libexec/platform-python 3.6.8"; exit 0 ;;
    esac
fi
echo "SyntaxError: invalid syntax (Python 3.6.8 cannot run this module)" >&2
exit 1
