"""`python -m jpay_server`."""

from jpay_server.main import main

main()
