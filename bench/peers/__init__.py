"""The peers a user would pick instead of jpay-server, served beside it in `make bench`."""
