"""`make preview`: the shop in a browser, offline (see __main__.py)."""
