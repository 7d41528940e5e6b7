"""The platform API (``/api/v1/``): what the collection platform reads about a firm's staff.

``auth`` resolves the bearer token, checks scopes and limits each token's rate,
``schemas`` describes the JSON, ``endpoints`` holds the operations and ``urls`` assembles them
(with the OpenAPI schema and the offline interactive docs).
"""
