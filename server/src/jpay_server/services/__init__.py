"""Use cases, one function per operation; they take a session and never commit."""
