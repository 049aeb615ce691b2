#!/usr/bin/env bash
# Builds a throwaway git repository holding two commits of this example, to try
# `cargo hotlint check --base HEAD~1` on a real change:
#
#   version 1  the example as it is in this directory;
#   version 2  `CounterState` gains the field `largest_add` but `STATE_VERSION` stays 2:
#              bincode cannot read the snapshots that version 2 wrote. `cargo hotlint check
#              --base HEAD~1` exits 1 with HL002.
#
# With --migrated, version 2 is the same change made safely:
#              the same field, with `STATE_VERSION = 3` and a `code_change` arm that reads
#              version 2 snapshots: exits 0.
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
    dir=$(mktemp -d "${TMPDIR:-/tmp}/ractor-counter-history.XXXXXX")
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
commit "2025-01-06T09:00:00Z" "version 1: ractor counter, bincode snapshot at state version 2"

# Version 2: the change, as a patch against version 1.
bad_change() {
    cat <<'PATCH'
diff --git a/src/counter.rs b/src/counter.rs
--- a/src/counter.rs
+++ b/src/counter.rs
@@ -15,6 +15,8 @@ pub enum CounterMsg {
 pub struct CounterState {
     pub count: u64,
     pub resets: u32,
+    /// The largest single `Add` seen since the last reset.
+    pub largest_add: u64,
 }
 
 impl CounterState {
@@ -48,9 +50,13 @@ impl Actor for Counter {
 
     async fn handle(&self, _me: ActorRef<Self::Msg>, msg: Self::Msg, state: &mut Self::State) -> Result<(), ActorProcessingErr> {
         match msg {
-            CounterMsg::Add(n) => state.count += n,
+            CounterMsg::Add(n) => {
+                state.count += n;
+                state.largest_add = state.largest_add.max(n);
+            }
             CounterMsg::Reset => {
                 state.count = 0;
+                state.largest_add = 0;
                 state.resets += 1;
             }
             CounterMsg::Snapshot(reply) => {
@@ -69,6 +75,6 @@ mod tests {
     fn code_change_reads_version_1() {
         let old = bincode::serialize(&7u64).unwrap();
         let s = CounterState::code_change(1, &old).unwrap();
-        assert_eq!(s, CounterState { count: 7, resets: 0 });
+        assert_eq!(s, CounterState { count: 7, resets: 0, largest_add: 0 });
     }
 }
PATCH
}

migrated_change() {
    cat <<'PATCH'
diff --git a/src/counter.rs b/src/counter.rs
--- a/src/counter.rs
+++ b/src/counter.rs
@@ -15,10 +15,19 @@ pub enum CounterMsg {
 pub struct CounterState {
     pub count: u64,
     pub resets: u32,
+    /// The largest single `Add` seen since the last reset.
+    pub largest_add: u64,
+}
+
+/// The layout of version 2, kept to read the snapshots it wrote.
+#[derive(Deserialize)]
+struct CounterStateV2 {
+    count: u64,
+    resets: u32,
 }
 
 impl CounterState {
-    pub const STATE_VERSION: u32 = 2;
+    pub const STATE_VERSION: u32 = 3;
 
     /// Called by `pre_start` when the stored snapshot carries an older version.
     pub fn code_change(from: u32, bytes: &[u8]) -> Result<Self, String> {
@@ -28,6 +37,11 @@ impl CounterState {
                 let count: u64 = bincode::deserialize(bytes).map_err(|e| e.to_string())?;
                 Ok(CounterState { count, ..CounterState::default() })
             }
+            // Version 2 had no `largest_add`.
+            2 => {
+                let old: CounterStateV2 = bincode::deserialize(bytes).map_err(|e| e.to_string())?;
+                Ok(CounterState { count: old.count, resets: old.resets, largest_add: 0 })
+            }
             _ => Err(format!("no migration from state version {from}")),
         }
     }
@@ -48,9 +62,13 @@ impl Actor for Counter {
 
     async fn handle(&self, _me: ActorRef<Self::Msg>, msg: Self::Msg, state: &mut Self::State) -> Result<(), ActorProcessingErr> {
         match msg {
-            CounterMsg::Add(n) => state.count += n,
+            CounterMsg::Add(n) => {
+                state.count += n;
+                state.largest_add = state.largest_add.max(n);
+            }
             CounterMsg::Reset => {
                 state.count = 0;
+                state.largest_add = 0;
                 state.resets += 1;
             }
             CounterMsg::Snapshot(reply) => {
@@ -69,6 +87,13 @@ mod tests {
     fn code_change_reads_version_1() {
         let old = bincode::serialize(&7u64).unwrap();
         let s = CounterState::code_change(1, &old).unwrap();
-        assert_eq!(s, CounterState { count: 7, resets: 0 });
+        assert_eq!(s, CounterState { count: 7, resets: 0, largest_add: 0 });
+    }
+
+    #[test]
+    fn code_change_reads_version_2() {
+        let old = bincode::serialize(&(9u64, 2u32)).unwrap();
+        let s = CounterState::code_change(2, &old).unwrap();
+        assert_eq!(s, CounterState { count: 9, resets: 2, largest_add: 0 });
     }
 }
PATCH
}

if $migrated; then
    migrated_change | git_ apply --whitespace=nowarn -
    git_ add -A
    commit "2025-01-13T09:00:00Z" "version 2: track the largest add, state version 3 with a code_change arm for 2"
else
    bad_change | git_ apply --whitespace=nowarn -
    git_ add -A
    commit "2025-01-13T09:00:00Z" "version 2: track the largest add, state version unchanged"
fi

echo "created $dir:"
git_ log --format='  %h %s'
echo "next: cd $dir && cargo hotlint check --base HEAD~1"
