"""One-task links: a capability in an email that opens one task, and only it, without an account."""
