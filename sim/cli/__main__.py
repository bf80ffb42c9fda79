"""`python -m sim.cli` runs the gridsim CLI."""

from sim.cli import main

main()
