"""The tests' own machinery (PTB keeps its fakes in tests/auxil too)."""
