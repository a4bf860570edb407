"""Data and sessions: data sets, `.gradviz.json` sessions, and the problem a session describes."""
