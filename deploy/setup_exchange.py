"""Set up the course's shared nbgrader exchange on a JupyterHub machine (run as root, once).

    sudo python deploy/setup_exchange.py --instructor teacher \
        [--exchange /srv/nbgrader/exchange] [--course-dir ~teacher/seqmodels-nlp] \
        [--roster deploy/roster.txt]

What it makes (standard library only, so the hub's Python runs it):

- the exchange root, owned by root, mode 1777: everybody may create entries in it (nbgrader's
  documented ``chmod ugo+rw``), and the sticky bit stops anyone renaming or deleting what another
  user made;
- the course's folder in it, owned by the instructor (so no student can create it first and
  release fake homework), with the modes nbgrader's own commands give: ``outbound/`` 755
  (released homework, readable by all), ``inbound/`` 2733 (students write submissions into it but
  cannot list it), ``feedback/`` 711 (students open their own feedback by its secret name but
  cannot list it);
- with --course-dir: ``<course-dir>/exchange`` as a symbolic link to the exchange root. The
  course's nbgrader_config.py sets the exchange to that folder, so the instructor's nbgrader
  commands and formgrader reach the shared exchange through it;
- with --roster: every listed user's home made private (mode 700), since the fetched homework,
  the nbgrader cache (which holds the secret that names a student's feedback) and the instructor's
  course folder live there.

References: nbgrader documentation, "Managing assignment files" (setting up the exchange).
"""

from __future__ import annotations

import argparse
import os
import pwd
import stat
from pathlib import Path

COURSE_ID = "seqmodels-nlp"
EXCHANGE = "/srv/nbgrader/exchange"
# mode of each folder of the course in the exchange (what nbgrader's release commands set)
COURSE_FOLDERS = {".": 0o755, "outbound": 0o755, "inbound": 0o2733, "feedback": 0o711}


def make_folder(path: Path, mode: int, uid: int, gid: int) -> None:
    """Create path (if needed), then give it exactly this owner and mode."""
    path.mkdir(parents=True, exist_ok=True)
    if path.is_symlink() or not path.is_dir():
        raise ValueError(f"{path} must be a folder, not a link or a file")
    os.chown(path, uid, gid)
    os.chmod(path, mode)


def setup_exchange(exchange: Path, instructor: str, course_id: str = COURSE_ID) -> Path:
    """Make the exchange root and the course's folders in it; returns the course's folder.

    Inputs:
    - exchange: the exchange root (e.g. /srv/nbgrader/exchange).
    - instructor: the instructor's user name (owns the course's folders).
    - course_id: nbgrader's course id.
    """
    account = pwd.getpwnam(instructor)
    make_folder(exchange, 0o1777, 0, 0)
    course = exchange / course_id
    for name, mode in COURSE_FOLDERS.items():
        make_folder(course / name, mode, account.pw_uid, account.pw_gid)
    return course


def link_course(course_dir: Path, exchange: Path, instructor: str) -> Path:
    """<course_dir>/exchange -> exchange, owned by the instructor; returns the link."""
    account = pwd.getpwnam(instructor)
    link = course_dir / "exchange"
    if link.is_symlink():
        link.unlink()
    elif link.exists():
        if any(link.iterdir()):
            raise ValueError(f"{link} holds a local exchange; move its content away first")
        link.rmdir()
    link.symlink_to(exchange, target_is_directory=True)
    os.lchown(link, account.pw_uid, account.pw_gid)
    return link


def private_homes(users) -> list[Path]:
    """Remove group and other permissions from each user's home; returns the homes."""
    homes = [Path(pwd.getpwnam(user).pw_dir) for user in users]
    for home in homes:
        os.chmod(home, stat.S_IMODE(home.stat().st_mode) & 0o700)
    return homes


def roster_users(path: Path) -> list[str]:
    """User names of a roster file ("<role> <username>" lines, # comments)."""
    words = (line.split("#", 1)[0].split() for line in path.read_text().splitlines())
    return [w[1] for w in words if len(w) == 2]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instructor", required=True, help="the instructor's user name")
    parser.add_argument("--exchange", type=Path, default=Path(EXCHANGE))
    parser.add_argument("--course", default=COURSE_ID, help="nbgrader course id")
    parser.add_argument("--course-dir", type=Path, help="the instructor's course folder")
    parser.add_argument("--roster", type=Path, help="make the homes of these users private")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        parser.error("run it as root (it sets owners and modes of other users' folders)")
    course = setup_exchange(args.exchange, args.instructor, args.course)
    print(f"exchange {args.exchange} (1777), course folder {course} owned by {args.instructor}")
    if args.course_dir:
        print(f"linked {link_course(args.course_dir, args.exchange, args.instructor)}")
    if args.roster:
        homes = private_homes(roster_users(args.roster))
        print(f"private homes (700): {', '.join(map(str, homes))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
