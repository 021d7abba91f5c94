"""The ``ppl-models`` command: ``train``, ``evaluate``, ``sample`` and ``report``.

Each subcommand lives in its own module with two functions, ``add_parser(subparsers)`` and
``run(args) -> int``; :mod:`inference.cli.main` wires them together and turns bad input into
one line on stderr and exit status 2.
"""
