"""Private parts of scripts/feedback.py: the numbers (`stats`), the charts (`charts`) and the page."""
