"""``python -m valuegrad`` runs the command-line interface."""

from valuegrad.cli import main

raise SystemExit(main())
