"""``python -m watchkeeper``: the same command line as the ``watchkeeper`` script.

Example: ``python -m watchkeeper demo --help``.
"""

from watchkeeper.cli import main

if __name__ == "__main__":
    main()
