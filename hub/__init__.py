"""The hub: JupyterHub configured from the policy, and bulle's hub-side pages and services.

``jupyterhub_config.py`` in this folder is the configuration file ``bulle hub``
runs JupyterHub with; it calls :func:`bulle.hub.config.configure_hub`.
"""
