#!/usr/bin/env python3
"""Records what ZODB's own fstest.py prints for every file of testdata/derived/verify/, as an
independent oracle for `zodbcheck verify --format fstest`.

    python3 testdata/derive/run_fstest.py PATH/TO/fstest.py

PATH/TO/fstest.py is ZODB's src/ZODB/scripts/fstest.py (ZODB 6.x, from a ZODB checkout; it is
not part of this project). It only needs ZODB._compat.FILESTORAGE_MAGIC, which this script
provides as Python 3 ZODB defines it (b'FS30') in a temporary directory. Writes
expected/<name>.fstest.txt: fstest's stderr, then "exit=N".
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "derived", "verify")


def main(fstest):
    work = tempfile.mkdtemp()
    try:
        os.makedirs(os.path.join(work, "ZODB"))
        open(os.path.join(work, "ZODB", "__init__.py"), "w").close()
        with open(os.path.join(work, "ZODB", "_compat.py"), "w") as f:
            f.write("FILESTORAGE_MAGIC = b'FS30'\n")
        shutil.copy(fstest, os.path.join(work, "fstest.py"))
        os.makedirs(os.path.join(OUT, "expected"), exist_ok=True)
        for name in sorted(os.listdir(OUT)):
            if not name.endswith(".fs"):
                continue
            r = subprocess.run([sys.executable, os.path.join(work, "fstest.py"), name], cwd=OUT,
                               capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=work))
            with open(os.path.join(OUT, "expected", name[:-3] + ".fstest.txt"), "w") as f:
                f.write(r.stdout + r.stderr + "exit=%d\n" % r.returncode)
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main(sys.argv[1])
