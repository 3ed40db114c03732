"""Read models of incidents: pure folds of the log (`fold`, `query`) and the tailer that
feeds them (`tailer`), restored at each start from their newest snapshot (`snapshots`) and the
log after it."""
