"""The store: the database, its rows and every change to them.  Knows no HTTP."""
