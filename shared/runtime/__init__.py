"""Running folds over the log: partition ownership, recovery, commits and ticks."""
