"""The integration API: JSON over HTTP under /api/v1, personal tokens, the OpenAPI document.

Kept import-free so that ``tracker.models`` can load the token model without the views.
"""
