#!/usr/bin/env python3
"""Records what ZODB's own fstest.py prints for every file of testdata/derived/verify/, as an
independent oracle for `zodbcheck verify --format fstest`.

    python3 testdata/derive/run_fstest.py PATH/TO/fstest.py PYTHON2 PATH/TO/fstest-5.py

PATH/TO/fstest.py is ZODB's src/ZODB/scripts/fstest.py (ZODB 6.x, from a ZODB checkout; it is
not part of this project). It only needs ZODB._compat.FILESTORAGE_MAGIC, which this script
provides as Python 3 ZODB defines it (b'FS30') in a temporary directory. Python 3's fstest
refuses FS21 files ("invalid file header"), so the FS21 files are given to the Python 2 build:
PYTHON2 (a Python 2.7 interpreter) running fstest.py of ZODB 5.x (e.g. tag 5.8.1, the last that
runs on Python 2), with FILESTORAGE_MAGIC = b'FS21' as ZODB defines it on Python 2. Writes
expected/<name>.fstest.txt: fstest's stderr, then "exit=N".
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "derived", "verify")


def build(work, fstest, magic):
    os.makedirs(os.path.join(work, "ZODB"))
    open(os.path.join(work, "ZODB", "__init__.py"), "w").close()
    with open(os.path.join(work, "ZODB", "_compat.py"), "w") as f:
        f.write("FILESTORAGE_MAGIC = b'%s'\n" % magic)
    shutil.copy(fstest, os.path.join(work, "fstest.py"))
    return work


def main(fstest, python2, fstest2):
    work = tempfile.mkdtemp()
    try:
        builds = {b"FS30": (sys.executable, build(os.path.join(work, "py3"), fstest, "FS30")),
                  b"FS21": (python2, build(os.path.join(work, "py2"), fstest2, "FS21"))}
        os.makedirs(os.path.join(OUT, "expected"), exist_ok=True)
        for name in sorted(os.listdir(OUT)):
            if not name.endswith(".fs"):
                continue
            with open(os.path.join(OUT, name), "rb") as f:
                magic = f.read(4)
            python, where = builds.get(magic, builds[b"FS30"])
            r = subprocess.run([python, os.path.join(where, "fstest.py"), name], cwd=OUT,
                               capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=where))
            with open(os.path.join(OUT, "expected", name[:-3] + ".fstest.txt"), "w") as f:
                f.write(r.stdout + r.stderr + "exit=%d\n" % r.returncode)
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3])
