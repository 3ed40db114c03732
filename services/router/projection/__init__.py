"""Read models of incidents: pure folds of the log (`fold`, `query`) and the tailer that
feeds them (`tailer`), rebuilt from the log at every start."""
