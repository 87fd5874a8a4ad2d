# Shell functions the bench scripts share; sourced, not run.

# The median of the numbers on stdin, one per line.
median() { sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }

# Wall seconds of a command, its output dropped and its exit status ignored.
seconds() { local s=$EPOCHREALTIME; "$@" > /dev/null 2>&1 || true; echo "$EPOCHREALTIME - $s" | bc -l; }

# A zodb.conf that opens FILE read-only as database "main" (for the Python tools), written to OUT.
readonly_conf() {   # FILE OUT
    printf '<zodb main>\n  <filestorage>\n    path %s\n    read-only true\n  </filestorage>\n</zodb>\n' "$1" > "$2"
}

# The Data.fs a bench script was given: "large" and "medium" are the unpacked ../shared/bench
# files in bench/data (bench/check-refs.sh unpacks them), anything else a path. Exits 2 if missing.
storage_path() {   # NAME SCRIPT
    local f="$1"
    case "$f" in large|medium) f="$here/bench/data/$f/Data.fs" ;; esac
    [ -f "$f" ] || { echo "$2: $f: no such file (bench/check-refs.sh unpacks large and medium)" >&2; exit 2; }
    echo "$f"
}

# Runs a quiet Maven build in DIR, offline first (then online); on failure prints its log and exits 2.
# The log goes to $work, so base_worktree must have run first.
mvn_build() {   # DIR GOAL...
    local dir="$1"; shift
    (cd "$dir" && { mvn -B -q -o "$@" > "$work/build.log" 2>&1 || mvn -B -q "$@" > "$work/build.log" 2>&1; }) \
        || { cat "$work/build.log" >&2; exit 2; }
}

# Makes the temporary directory $work, with COMMIT checked out in the git worktree $work/base;
# both are removed when the script exits.
base_worktree() {   # COMMIT
    work="$(mktemp -d)"
    trap 'git -C "$here" worktree remove --force "$work/base" > /dev/null 2>&1 || true; rm -rf "$work"' EXIT
    git -C "$here" worktree add -q --detach "$work/base" "$1"
}
