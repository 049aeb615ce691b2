#!/usr/bin/env bash
# Builds a throwaway git repository holding two commits of this example, to try
# `cargo hotlint check --base HEAD~1` on a real change:
#
#   version 1  the example as it is in this directory;
#   version 2  `Checkpoint` gains the field `failed` and stays at revision 1: `revision`
#              reads revision 1 bytes with the new layout. `cargo hotlint check
#              --base HEAD~1` exits 1 with HL002.
#
# With --migrated, version 2 is the same change made safely:
#              the same field, with `#[revisioned(revision = 2)]` and
#              `#[revision(start = 2, default_fn = "default_failed")]` on it: exits 0.
#
# usage: ./make-history.sh [--migrated] [DIR]
#   DIR is created if needed and must be empty; without it, a new temporary directory.
#   The example's own directory is never modified; nothing is fetched from the network.
#   Commit dates and identities are fixed, so the commit ids are the same on every machine.
set -euo pipefail

migrated=false
dir=
for arg in "$@"; do
    case "$arg" in
        --migrated) migrated=true ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) echo "make-history.sh: unknown option \`$arg\` (see --help)" >&2; exit 2 ;;
        *)
            if [ -n "$dir" ]; then echo "make-history.sh: one directory only" >&2; exit 2; fi
            dir=$arg
            ;;
    esac
done

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
inside_example() { # refuse before creating anything there
    case "$1/" in
        "$here"/*) echo "make-history.sh: $1 is inside the example; choose another directory" >&2; exit 2 ;;
    esac
}
if [ -z "$dir" ]; then
    dir=$(mktemp -d "${TMPDIR:-/tmp}/revisioned-checkpoint-history.XXXXXX")
fi
case "$dir" in /*) ;; *) dir=$PWD/$dir ;; esac
inside_example "$dir"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
inside_example "$dir"
if [ -n "$(ls -A "$dir")" ]; then
    echo "make-history.sh: $dir is not empty" >&2
    exit 2
fi

# Every git call: no user or system configuration, a fixed identity, no signing.
git_() {
    GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 git -C "$dir" \
        -c user.name="hotlint example" -c user.email="example@hotlint.invalid" \
        -c commit.gpgsign=false -c core.autocrlf=false "$@"
}
commit() { # commit DATE MESSAGE
    GIT_AUTHOR_DATE="$1" GIT_COMMITTER_DATE="$1" git_ commit -q -m "$2"
}

# Version 1: the example's sources, without this script, its README or build output.
for entry in "$here"/*; do
    case "${entry##*/}" in
        README.md | make-history.sh | target | Cargo.lock) ;;
        *) cp -R "$entry" "$dir/" ;;
    esac
done
git_ init -q
git_ symbolic-ref HEAD refs/heads/main
git_ add -A
commit "2025-01-06T09:00:00Z" "version 1: import checkpoint at revision 1"

# Version 2: the change, as a patch against version 1.
bad_change() {
    cat <<'PATCH'
diff --git a/src/checkpoint.rs b/src/checkpoint.rs
--- a/src/checkpoint.rs
+++ b/src/checkpoint.rs
@@ -8,12 +8,14 @@ pub struct Checkpoint {
     /// Byte offset in the source file of the next record to import.
     pub offset: u64,
     pub imported: u64,
+    /// Records that could not be imported and were skipped.
+    pub failed: u64,
     pub finished: bool,
 }
 
 impl Checkpoint {
     pub fn new(job: &str) -> Self {
-        Checkpoint { job: job.to_owned(), offset: 0, imported: 0, finished: false }
+        Checkpoint { job: job.to_owned(), offset: 0, imported: 0, failed: 0, finished: false }
     }
 
     pub fn encode(&self) -> Result<Vec<u8>, revision::Error> {
@@ -29,6 +31,12 @@ impl Checkpoint {
         self.offset = offset;
         self.imported += 1;
     }
+
+    /// Records one rejected record that ended at `offset`.
+    pub fn skip(&mut self, offset: u64) {
+        self.offset = offset;
+        self.failed += 1;
+    }
 }
 
 #[cfg(test)]
PATCH
}

migrated_change() {
    cat <<'PATCH'
diff --git a/src/checkpoint.rs b/src/checkpoint.rs
--- a/src/checkpoint.rs
+++ b/src/checkpoint.rs
@@ -1,19 +1,26 @@
 use revision::revisioned;
 
 /// Where an import job stopped, so a restarted (or upgraded) importer resumes there.
-#[revisioned(revision = 1)]
+#[revisioned(revision = 2)]
 #[derive(Debug, Clone, PartialEq)]
 pub struct Checkpoint {
     pub job: String,
     /// Byte offset in the source file of the next record to import.
     pub offset: u64,
     pub imported: u64,
+    /// Records that could not be imported and were skipped. Revision 1 did not count them.
+    #[revision(start = 2, default_fn = "default_failed")]
+    pub failed: u64,
     pub finished: bool,
 }
 
 impl Checkpoint {
+    fn default_failed(_revision: u16) -> Result<u64, revision::Error> {
+        Ok(0)
+    }
+
     pub fn new(job: &str) -> Self {
-        Checkpoint { job: job.to_owned(), offset: 0, imported: 0, finished: false }
+        Checkpoint { job: job.to_owned(), offset: 0, imported: 0, failed: 0, finished: false }
     }
 
     pub fn encode(&self) -> Result<Vec<u8>, revision::Error> {
@@ -29,6 +36,12 @@ impl Checkpoint {
         self.offset = offset;
         self.imported += 1;
     }
+
+    /// Records one rejected record that ended at `offset`.
+    pub fn skip(&mut self, offset: u64) {
+        self.offset = offset;
+        self.failed += 1;
+    }
 }
 
 #[cfg(test)]
PATCH
}

if $migrated; then
    migrated_change | git_ apply --whitespace=nowarn -
    git_ add -A
    commit "2025-01-13T09:00:00Z" "version 2: count failed records, revision 2, field starts at 2"
else
    bad_change | git_ apply --whitespace=nowarn -
    git_ add -A
    commit "2025-01-13T09:00:00Z" "version 2: count failed records, revision unchanged"
fi

echo "created $dir:"
git_ log --format='  %h %s'
echo "next: cd $dir && cargo hotlint check --base HEAD~1"
