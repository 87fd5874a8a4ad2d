# Shell functions the bench scripts share; sourced, not run.

# The median of the numbers on stdin, one per line.
median() { sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }

# Wall seconds of a command, its output dropped and its exit status ignored.
seconds() { local s=$EPOCHREALTIME; "$@" > /dev/null 2>&1 || true; echo "$EPOCHREALTIME - $s" | bc -l; }

# A zodb.conf that opens FILE read-only as database "main" (for the Python tools), written to OUT.
readonly_conf() {   # FILE OUT
    printf '<zodb main>\n  <filestorage>\n    path %s\n    read-only true\n  </filestorage>\n</zodb>\n' "$1" > "$2"
}
