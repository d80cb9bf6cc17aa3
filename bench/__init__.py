"""Load benchmarks: the server as users run it, side by side with a bare baseline."""
