"""Support code for the tests and the benchmarks, outside both packages (neither ships it)."""
