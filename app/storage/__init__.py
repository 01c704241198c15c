"""Runs kept in a database: the tables, the store that reads and writes them, and the batching writer thread."""
