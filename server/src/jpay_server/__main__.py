"""`python -m jpay_server`."""

from jpay_server.cli.main import main

main()
