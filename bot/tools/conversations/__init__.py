"""Conversation scripts: load (load.py), run (run.py), report (report.py), the command (check.py), the pytest plugin."""
