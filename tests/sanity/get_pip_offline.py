"""Stand-in for the get-pip.py bootstrap that ansible-test downloads from its own CI host.

That host is out of reach on our machines (only PyPI is), so tests/sanity/run.sh puts this file in
ansible-test's cache. Like get-pip.py it takes pip's install arguments; pip itself is bootstrapped
from the interpreter's bundled ensurepip wheel and then brought to the requested version from PyPI.
"""

import ensurepip
import runpy
import sys

ensurepip.bootstrap(upgrade=True)
# get-pip.py's own switches mean "leave these out"; pip install does not know them.
OWN_SWITCHES = {'--no-setuptools', '--no-wheel'}
sys.argv = ['pip', 'install'] + [arg for arg in sys.argv[1:] if arg not in OWN_SWITCHES]
runpy.run_module('pip', run_name='__main__', alter_sys=True)
