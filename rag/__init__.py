"""News-article question answering with sentence-level citations."""
