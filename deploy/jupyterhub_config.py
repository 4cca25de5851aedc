"""JupyterHub for the course on one machine: local system users, one Jupyter server each.

    sudo python deploy/setup_exchange.py --instructor teacher --roster deploy/roster.txt
    sudo jupyterhub -f deploy/jupyterhub_config.py

Everyone logs in with their Linux account (PAM); the hub starts each user's server as that user
(LocalProcessSpawner), so the file system keeps students apart. The course's settings (roster,
per-role nbgrader extensions, shared exchange) are in course_hub.py beside this file; this file
adds what a stand-alone hub needs:

- the servers run the Jupyter of the Python environment the hub runs in (COURSE_USER_ENV to use
  another one), with only that environment's bin/ and the system's on PATH;
- the hub listens on COURSE_HUB_URL (default http://:8000; put it behind HTTPS for a class) and
  keeps its database and cookie secret in COURSE_HUB_STATE (default /srv/jupyterhub, made here).

Reference: JupyterHub documentation, "Configuration basics" and "Authenticators"
(https://jupyterhub.readthedocs.io).
"""

import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (traitlets defines get_config when it runs this file)

load_subconfig(str(Path(__file__).resolve().parent / "course_hub.py"))  # noqa: F821

USER_ENV = Path(os.environ.get("COURSE_USER_ENV", sys.prefix))
STATE = Path(os.environ.get("COURSE_HUB_STATE", "/srv/jupyterhub"))
STATE.mkdir(mode=0o700, parents=True, exist_ok=True)

c.JupyterHub.bind_url = os.environ.get("COURSE_HUB_URL", "http://:8000")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")
c.JupyterHub.authenticator_class = "pam"
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(USER_ENV / "bin" / "jupyterhub-singleuser")]
c.Spawner.environment = {"PATH": os.pathsep.join([str(USER_ENV / "bin"), "/usr/local/bin",
                                                  "/usr/bin", "/bin"])}
c.Spawner.notebook_dir = "~"
