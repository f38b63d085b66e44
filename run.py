#!/usr/bin/env python3
"""Entry point: `python run.py scenarios/izium_2022_09.yaml` (sim/cli/main.py has the options)."""

import sys

from sim.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
