"""``python -m parlib.cli``: the same as the ``parlib`` command."""

from parlib.cli.main import run

run()
