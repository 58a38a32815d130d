"""Reads. Selectors return querysets or plain data and never write (import-linter and
``tests/reports/selectors/test_read_only.py`` check it)."""
