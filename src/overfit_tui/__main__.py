"""`python -m overfit_tui` is the `overfit-tui` command."""

from overfit_tui.cli import main

main()
