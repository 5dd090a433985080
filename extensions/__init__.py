"""Jupyter server extensions that run inside each bubble."""
