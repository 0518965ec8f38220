"""The Korean catalog (한국어): the English catalog's sections and keys, one module per page."""
