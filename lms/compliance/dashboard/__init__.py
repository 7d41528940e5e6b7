"""The firm managers' dashboard (/firm/): roster, charts, exports and collector pages."""
