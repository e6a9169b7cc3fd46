"""`python -m cli` runs the `kuntamittari` command."""

from cli.main import main

main()
