"""The audit log as the security officer reads it: the chain check, the list page, retention."""
