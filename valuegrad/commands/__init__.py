"""One module per sub-command of ``valuegrad``.

Each module defines ``ORDER`` (its place in ``--help``), ``NAME``, ``HELP`` and
``register(subparsers) -> argparse.ArgumentParser``; the parser it returns has a
``run(args) -> int`` default. The CLI discovers the modules in this package.
"""
