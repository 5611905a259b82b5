"""Scripts that rebuild Patchbot's bundled data from the real files (run them as scripts); a package
so the tests' fakes can ingest real files the way the scripts do."""
