# JupyterHub configuration for bulle. `bulle hub` runs JupyterHub with this file.
#
# Deployer settings go in the files named by BULLE_CONFIG (os.pathsep-separated),
# loaded first so that `c.Bulle.*` is known when the policy is applied; bulle
# then fills in what the deployer left unset and refuses settings that would
# bypass the policy. See bulle.hub.config.
import os

from bulle.hub.config import configure_hub

c = get_config()

for extra in filter(None, os.environ.get("BULLE_CONFIG", "").split(os.pathsep)):
    load_subconfig(extra)

configure_hub(c)
