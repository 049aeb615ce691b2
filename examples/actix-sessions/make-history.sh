#!/usr/bin/env bash
# Builds a throwaway git repository holding two commits of this example, to try
# `cargo hotlint check --base HEAD~1` on a real change:
#
#   version 1  the example as it is in this directory;
#   version 2  `Session::user` is renamed `account` and `STATE_VERSION` stays 1: the JSON
#              saved by version 1 has no `account`, so every session is lost.
#              `cargo hotlint check --base HEAD~1` exits 1 with HL002.
#
# With --migrated, version 2 is the same change made safely:
#              the same rename, with `STATE_VERSION = 2` and a `code_change` arm that renames
#              the key in version 1 JSON: exits 0.
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
    dir=$(mktemp -d "${TMPDIR:-/tmp}/actix-sessions-history.XXXXXX")
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
commit "2025-01-06T09:00:00Z" "version 1: actix session store, JSON state at version 1"

# Version 2: the change, as a patch against version 1.
bad_change() {
    cat <<'PATCH'
diff --git a/src/store.rs b/src/store.rs
--- a/src/store.rs
+++ b/src/store.rs
@@ -6,7 +6,8 @@ use serde::{Deserialize, Serialize};
 
 #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
 pub struct Session {
-    pub user: String,
+    /// Sessions now belong to accounts, which several users can share.
+    pub account: String,
     /// Seconds since the Unix epoch.
     pub expires_at: u64,
 }
@@ -86,7 +87,7 @@ impl Handler<Login> for SessionStore {
     fn handle(&mut self, msg: Login, _ctx: &mut Self::Context) -> String {
         self.issued += 1;
         let token = format!("{:016x}-{}", msg.now, self.issued);
-        self.sessions.insert(token.clone(), Session { user: msg.user, expires_at: msg.now + 3600 });
+        self.sessions.insert(token.clone(), Session { account: msg.user, expires_at: msg.now + 3600 });
         token
     }
 }
@@ -103,7 +104,7 @@ impl Handler<WhoIs> for SessionStore {
 
     fn handle(&mut self, msg: WhoIs, _ctx: &mut Self::Context) -> Option<String> {
         let session = self.sessions.get(&msg.token)?;
-        (session.expires_at > msg.now).then(|| session.user.clone())
+        (session.expires_at > msg.now).then(|| session.account.clone())
     }
 }
 
PATCH
}

migrated_change() {
    cat <<'PATCH'
diff --git a/src/store.rs b/src/store.rs
--- a/src/store.rs
+++ b/src/store.rs
@@ -6,7 +6,8 @@ use serde::{Deserialize, Serialize};
 
 #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
 pub struct Session {
-    pub user: String,
+    /// Sessions now belong to accounts, which several users can share.
+    pub account: String,
     /// Seconds since the Unix epoch.
     pub expires_at: u64,
 }
@@ -28,7 +29,7 @@ struct SavedFile {
 }
 
 impl SessionStore {
-    pub const STATE_VERSION: u32 = 1;
+    pub const STATE_VERSION: u32 = 2;
 
     /// Reads the file the previous release wrote, or starts empty.
     pub fn load(path: PathBuf) -> Result<Self, String> {
@@ -48,9 +49,21 @@ impl SessionStore {
         Ok(store)
     }
 
-    /// Upgrades state saved by an older release. Version 1 is the first: nothing to read yet.
-    pub fn code_change(from: u32, _state: serde_json::Value) -> Result<Self, String> {
+    /// Upgrades state saved by an older release.
+    pub fn code_change(from: u32, mut state: serde_json::Value) -> Result<Self, String> {
         match from {
+            // Version 1 named the session's owner `user`.
+            1 => {
+                let sessions = state.get_mut("sessions").and_then(|s| s.as_object_mut());
+                for session in sessions.into_iter().flat_map(|s| s.values_mut()) {
+                    if let Some(fields) = session.as_object_mut() {
+                        if let Some(user) = fields.remove("user") {
+                            fields.insert("account".into(), user);
+                        }
+                    }
+                }
+                serde_json::from_value(state).map_err(|e| e.to_string())
+            }
             other => Err(format!("no migration from state version {other}")),
         }
     }
@@ -86,7 +99,7 @@ impl Handler<Login> for SessionStore {
     fn handle(&mut self, msg: Login, _ctx: &mut Self::Context) -> String {
         self.issued += 1;
         let token = format!("{:016x}-{}", msg.now, self.issued);
-        self.sessions.insert(token.clone(), Session { user: msg.user, expires_at: msg.now + 3600 });
+        self.sessions.insert(token.clone(), Session { account: msg.user, expires_at: msg.now + 3600 });
         token
     }
 }
@@ -103,7 +116,7 @@ impl Handler<WhoIs> for SessionStore {
 
     fn handle(&mut self, msg: WhoIs, _ctx: &mut Self::Context) -> Option<String> {
         let session = self.sessions.get(&msg.token)?;
-        (session.expires_at > msg.now).then(|| session.user.clone())
+        (session.expires_at > msg.now).then(|| session.account.clone())
     }
 }
 
@@ -115,4 +128,11 @@ mod tests {
     fn code_change_refuses_unknown_versions() {
         assert!(SessionStore::code_change(0, serde_json::json!({})).is_err());
     }
+
+    #[test]
+    fn code_change_reads_version_1() {
+        let v1 = serde_json::json!({"sessions": {"t1": {"user": "ada", "expires_at": 60}}, "issued": 1});
+        let store = SessionStore::code_change(1, v1).unwrap();
+        assert_eq!(store.sessions["t1"].account, "ada");
+    }
 }
PATCH
}

if $migrated; then
    migrated_change | git_ apply --whitespace=nowarn -
    git_ add -A
    commit "2025-01-13T09:00:00Z" "version 2: sessions belong to accounts, state version 2 with a code_change arm for 1"
else
    bad_change | git_ apply --whitespace=nowarn -
    git_ add -A
    commit "2025-01-13T09:00:00Z" "version 2: sessions belong to accounts, state version unchanged"
fi

echo "created $dir:"
git_ log --format='  %h %s'
echo "next: cd $dir && cargo hotlint check --base HEAD~1"
