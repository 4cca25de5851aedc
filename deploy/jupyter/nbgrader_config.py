"""nbgrader configuration of every user's server on the course's JupyterHub.

The hub (deploy/jupyterhub_config.py) puts this folder on JUPYTER_CONFIG_PATH of each server it
starts and sets COURSE_ID, COURSE_EXCHANGE and COURSE_ROLE in its environment:

- everyone: the course id and the hub's shared exchange, so that the Assignment List of a student
  fetches from and submits to the folder the instructor releases into;
- the instructor: also the course folder (a clone of the course repository in their home), so
  that the formgrader finds solutions/, the gradebook and the course's own nbgrader_config.py.
  That file sets the exchange to the course's `exchange/` folder, which on the hub is a symbolic
  link to the shared exchange (deploy/setup_exchange.py makes it).
"""

import os

c = get_config()  # noqa: F821 (traitlets defines get_config when it runs this file)

c.CourseDirectory.course_id = os.environ.get("COURSE_ID", "seqmodels-nlp")
c.Exchange.root = os.environ.get("COURSE_EXCHANGE", "/srv/nbgrader/exchange")
if os.environ.get("COURSE_ROLE") == "instructor":
    c.CourseDirectory.root = os.path.expanduser(os.environ.get("COURSE_DIR", "~/seqmodels-nlp"))
