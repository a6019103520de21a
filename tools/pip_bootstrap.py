"""Stand-in for the pip bootstrap script that ansible-test downloads into its cache.

ansible-test creates each sanity virtual environment without pip and runs a cached bootstrap
script as ``script <pip install options and packages> [--no-setuptools] [--no-wheel]``. Where that script cannot
be downloaded, this one does the same job with the standard library's ``ensurepip`` and then pip
itself, which installs the requested packages from the package index.
"""

import ensurepip
import os
import subprocess
import sys


def main():
    args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
    saved = {name: os.environ.get(name) for name in ("PIP_CONFIG_FILE", "ENSUREPIP_OPTIONS")}
    ensurepip.bootstrap(upgrade=True)
    # ensurepip hides the pip configuration from itself; the real install must see it again.
    env = {k: v for k, v in os.environ.items() if k not in saved}
    env.update({k: v for k, v in saved.items() if v is not None})
    sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "--quiet"] + args, env=env))


if __name__ == "__main__":
    main()
