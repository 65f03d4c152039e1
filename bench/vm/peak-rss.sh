# shellcheck shell=bash
# peak-rss.sh: sourced by the bench scripts: a program's peak RSS
#
# peak_rss FILE COMMAND...: runs COMMAND, its peak RSS in KiB into FILE;
# $rss_tool says what measures it.  Through an exec the kernel keeps the
# larger of the two images' peaks, so the hook's front and the engine it
# execs count as one.  No peak_rss function when nothing can measure.
if [ -x /usr/bin/time ]; then
    rss_tool="/usr/bin/time -f %M"
    peak_rss() {
        /usr/bin/time -f %M -o "$@"
    }
elif [ -x "$VMTEST_BUILD_DIR/bench/peak-rss" ]; then
    rss_tool=bench/peak-rss
    peak_rss() {
        "$VMTEST_BUILD_DIR/bench/peak-rss" "$@"
    }
else
    rss_tool="nothing: neither /usr/bin/time nor bench/peak-rss is there"
fi
