"""Types, errors and the request context shared by every resolver."""
