"""Started by every Python process the tests start (this folder is on ``PYTHONPATH``):
the loopback-only socket guard of :mod:`guard`, reporting to the test's file."""

import guard  # type: ignore[import-not-found]  # this folder is on PYTHONPATH

guard.install(guard.report_to_file)
