"""Stand-in for the get-pip.py bootstrap that ansible-test downloads from its own CI host.

That host is out of reach on our machines (only PyPI is), so tests/sanity/run.sh puts this file in
ansible-test's cache. Like get-pip.py it takes pip's install arguments; pip itself is bootstrapped
from the interpreter's bundled ensurepip wheel and then brought to the requested version from PyPI.
"""

import subprocess
import sys

# In a child process: ensurepip points PIP_CONFIG_FILE at /dev/null in its own environment, and
# the machine's pip config (certificates, mirrors) must still reach the install below.
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade'], stdout=subprocess.DEVNULL)
# get-pip.py's own switches mean "leave these out"; pip install does not know them.
OWN_SWITCHES = {'--no-setuptools', '--no-wheel'}
args = [arg for arg in sys.argv[1:] if arg not in OWN_SWITCHES]
# A fresh interpreter: the pip that ensurepip just installed, reading the machine's pip config.
sys.exit(subprocess.call([sys.executable, '-m', 'pip', 'install'] + args))
