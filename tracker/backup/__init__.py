"""Backup and restore of an installation: the database and the evidence files, with a manifest."""
