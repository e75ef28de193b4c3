"""``python -m api`` runs the command line (same as the ``cnap-archive`` script)."""

from api.cli import main

main()
