"""The registry site: static HTML pages and a JSON API generated from the registry tags and git objects."""
