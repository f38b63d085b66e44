"""The command line of run.py: `main` (the replay and the list of commands), `commands` (params,
map, view, whatif), `authoring` (new, places, validate, preview, schema), `branch` and what
they share (`common`). The sweep commands are in sim/sweep/cli.py."""
