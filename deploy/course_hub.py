"""The course's part of a JupyterHub configuration: who is who, and what each role's server runs.

Loaded by deploy/jupyterhub_config.py (a hub of local system users on one machine); on The
Littlest JupyterHub, link it into /opt/tljh/config/jupyterhub_config.d/ instead (the hub then
keeps TLJH's authenticator and spawner). It sets:

- the class: the roster file (COURSE_ROSTER, default roster.txt beside this file; see
  roster.example.txt) gives the allowed users and the hub groups ``instructors`` and ``students``
  (the hub's admin page can move people between groups later);
- per role, the environment of every server the hub starts: JUPYTER_CONFIG_PATH puts
  ``jupyter/<role>/`` (which nbgrader server and lab extensions run: the formgrader, course list
  and "create assignment" toolbar for instructors only, the Assignment List and validation for
  everybody) and ``jupyter/`` (nbgrader_config.py: course id, shared exchange, and the
  instructor's course folder) before the installation's own configuration;
- COURSE_ID, COURSE_EXCHANGE (the shared exchange, default /srv/nbgrader/exchange; set it up
  with deploy/setup_exchange.py) and COURSE_ROLE, read by jupyter/nbgrader_config.py.

Hiding the formgrader from students is convenience, not security: a student who enables it on
their own server still cannot read the instructor's files. What keeps students apart is the file
system: every server runs as its own Linux user, homes are private (mode 700) and the exchange
has nbgrader's permissions (deploy/setup_exchange.py).

Reference: nbgrader documentation, "Using nbgrader with JupyterHub" and "Installation"
(https://nbgrader.readthedocs.io); JupyterHub documentation, "Spawners" and "Configuration".
"""

import os
from pathlib import Path

c = get_config()  # noqa: F821 (traitlets defines get_config when it runs this file)

COURSE_ID = "seqmodels-nlp"
# The folder of this file (resolved, so that a symbolic link to it from TLJH's config folder works).
DEPLOY_DIR = Path(os.environ.get("COURSE_DEPLOY_DIR", Path(__file__).resolve().parent))
EXCHANGE = os.environ.get("COURSE_EXCHANGE", "/srv/nbgrader/exchange")
ROSTER = Path(os.environ.get("COURSE_ROSTER", DEPLOY_DIR / "roster.txt"))
ROLES = ("instructor", "student")
GROUPS = {"instructor": "instructors", "student": "students"}


def read_roster(path: Path) -> dict[str, list[str]]:
    """{role: [usernames]} from a roster file of "<role> <username>" lines (# starts a comment)."""
    if not path.is_file():
        raise ValueError(f"COURSE_ROSTER must name the class list; no file {path} "
                         f"(copy {DEPLOY_DIR / 'roster.example.txt'} there and edit it)")
    roster = {role: [] for role in ROLES}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) != 2 or words[0] not in ROLES:
            raise ValueError(f"{path}:{number}: expected '<role> <username>' with role one of "
                             f"{ROLES}, got {line!r}")
        roster[words[0]].append(words[1])
    return roster


def role_of(user) -> str:
    """The user's course role: "instructor" for members of the hub group instructors."""
    return "instructor" if GROUPS["instructor"] in {g.name for g in user.groups} else "student"


def course_environment(spawner) -> None:
    """pre_spawn_hook: the role's Jupyter configuration and the course's settings."""
    role = role_of(spawner.user)
    config_path = [str(DEPLOY_DIR / "jupyter" / role), str(DEPLOY_DIR / "jupyter")]
    spawner.environment = {  # a new dict: the configured one is shared by every spawner
        **spawner.environment,
        "JUPYTER_CONFIG_PATH": os.pathsep.join(config_path),
        "COURSE_ID": COURSE_ID,
        "COURSE_EXCHANGE": EXCHANGE,
        "COURSE_ROLE": role,
    }


roster = read_roster(ROSTER)
c.Authenticator.allowed_users = set(roster["instructor"]) | set(roster["student"])
c.JupyterHub.load_groups = {GROUPS[role]: {"users": users} for role, users in roster.items()}
c.Spawner.pre_spawn_hook = course_environment
c.Spawner.default_url = "/lab"
