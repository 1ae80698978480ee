"""Report rendering (EDA, pipeline comparison, leaderboard, ablations) with Jinja2 templates."""
