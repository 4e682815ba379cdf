"""Planning: living-circle analyses of a district (the web wrapper around linli.circle)."""
