"""``python -m msctrial.cli``: the same command line as ``msctrial``."""

from msctrial.cli.main import main

main()
