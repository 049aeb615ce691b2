#!/usr/bin/env bash
# Builds a throwaway git repository holding two commits of this example, to try
# `cargo hotlint check --base HEAD~1` on a real change:
#
#   version 1  the example as it is in this directory;
#   version 2  `Entry` gains `posted_at` between two fields and `STATE_VERSION` stays 1:
#              postcard reads fields by position, so version 1 checkpoints decode as garbage.
#              `cargo hotlint check --base HEAD~1` exits 1 with HL002.
#
# With --migrated, version 2 is the same change made safely:
#              the same field, with `STATE_VERSION = 2` and a `code_change` arm that reads
#              version 1 checkpoints through a frozen copy of their layout: exits 0.
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
    dir=$(mktemp -d "${TMPDIR:-/tmp}/xtra-ledger-history.XXXXXX")
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
commit "2025-01-06T09:00:00Z" "version 1: xtra ledger, postcard checkpoint at state version 1"

# Version 2: the change, as a patch against version 1.
bad_change() {
    cat <<'PATCH'
diff --git a/src/ledger.rs b/src/ledger.rs
--- a/src/ledger.rs
+++ b/src/ledger.rs
@@ -5,6 +5,8 @@ use xtra::prelude::*;
 pub struct Entry {
     pub account: u32,
     pub amount_cents: i64,
+    /// When the entry was posted, in seconds since the Unix epoch.
+    pub posted_at: u64,
     pub memo: String,
 }
 
@@ -80,7 +82,7 @@ mod tests {
 
     #[test]
     fn restore_reads_checkpoint() {
-        let entry = Entry { account: 7, amount_cents: 1250, memo: "rent".into() };
+        let entry = Entry { account: 7, amount_cents: 1250, posted_at: 1_700_000_000, memo: "rent".into() };
         let ledger = Ledger { entries: vec![entry], balance_cents: 1250 };
         assert_eq!(Ledger::restore(&ledger.checkpoint().unwrap()).unwrap(), ledger);
         assert!(Ledger::code_change(0, &[]).is_err());
PATCH
}

migrated_change() {
    cat <<'PATCH'
diff --git a/src/ledger.rs b/src/ledger.rs
--- a/src/ledger.rs
+++ b/src/ledger.rs
@@ -5,6 +5,8 @@ use xtra::prelude::*;
 pub struct Entry {
     pub account: u32,
     pub amount_cents: i64,
+    /// When the entry was posted, in seconds since the Unix epoch.
+    pub posted_at: u64,
     pub memo: String,
 }
 
@@ -16,7 +18,7 @@ pub struct Ledger {
 }
 
 impl Ledger {
-    pub const STATE_VERSION: u32 = 1;
+    pub const STATE_VERSION: u32 = 2;
 
     /// A checkpoint: the state version, then the postcard bytes of the state.
     pub fn checkpoint(&self) -> Result<Vec<u8>, postcard::Error> {
@@ -35,14 +37,42 @@ impl Ledger {
         }
     }
 
-    /// Upgrades a checkpoint of an older release. Version 1 is the first: nothing to read yet.
-    pub fn code_change(from: u32, _bytes: &[u8]) -> Result<Self, String> {
+    /// Upgrades a checkpoint of an older release.
+    pub fn code_change(from: u32, bytes: &[u8]) -> Result<Self, String> {
         match from {
+            // Version 1 entries had no `posted_at`: they were posted before it existed.
+            1 => {
+                let old: v1::Ledger = postcard::from_bytes(bytes).map_err(|e| e.to_string())?;
+                let entries = old
+                    .entries
+                    .into_iter()
+                    .map(|e| Entry { account: e.account, amount_cents: e.amount_cents, posted_at: 0, memo: e.memo })
+                    .collect();
+                Ok(Ledger { entries, balance_cents: old.balance_cents })
+            }
             other => Err(format!("no migration from state version {other}")),
         }
     }
 }
 
+/// The layout of state version 1, kept to read its checkpoints.
+mod v1 {
+    use serde::Deserialize;
+
+    #[derive(Deserialize)]
+    pub struct Entry {
+        pub account: u32,
+        pub amount_cents: i64,
+        pub memo: String,
+    }
+
+    #[derive(Deserialize)]
+    pub struct Ledger {
+        pub entries: Vec<Entry>,
+        pub balance_cents: i64,
+    }
+}
+
 pub struct Post(pub Entry);
 
 impl Handler<Post> for Ledger {
@@ -80,9 +110,18 @@ mod tests {
 
     #[test]
     fn restore_reads_checkpoint() {
-        let entry = Entry { account: 7, amount_cents: 1250, memo: "rent".into() };
+        let entry = Entry { account: 7, amount_cents: 1250, posted_at: 1_700_000_000, memo: "rent".into() };
         let ledger = Ledger { entries: vec![entry], balance_cents: 1250 };
         assert_eq!(Ledger::restore(&ledger.checkpoint().unwrap()).unwrap(), ledger);
         assert!(Ledger::code_change(0, &[]).is_err());
     }
+
+    #[test]
+    fn code_change_reads_version_1() {
+        // account 7, 1250 cents (zigzag varint), memo "rent"; balance 1250.
+        let v1 = [1, 7, 0xc4, 0x13, 4, b'r', b'e', b'n', b't', 0xc4, 0x13];
+        let ledger = Ledger::code_change(1, &v1).unwrap();
+        assert_eq!(ledger.entries[0].posted_at, 0);
+        assert_eq!(ledger.balance_cents, 1250);
+    }
 }
PATCH
}

if $migrated; then
    migrated_change | git_ apply --whitespace=nowarn -
    git_ add -A
    commit "2025-01-13T09:00:00Z" "version 2: entries record when they were posted, state version 2 with a code_change arm for 1"
else
    bad_change | git_ apply --whitespace=nowarn -
    git_ add -A
    commit "2025-01-13T09:00:00Z" "version 2: entries record when they were posted, state version unchanged"
fi

echo "created $dir:"
git_ log --format='  %h %s'
echo "next: cd $dir && cargo hotlint check --base HEAD~1"
