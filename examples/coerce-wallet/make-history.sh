#!/usr/bin/env bash
# Builds a throwaway git repository holding two commits of this example, to try
# `cargo hotlint check --base HEAD~1` on a real change:
#
#   version 1  the example as it is in this directory;
#   version 2  the overdraft limit is added to `SnapshotV1` in place: snapshots already in
#              the journal store have no such field and no longer load.
#              `cargo hotlint check --base HEAD~1` exits 1 with HL002.
#
# With --migrated, version 2 is the same change made safely:
#              the limit goes into a new layout `SnapshotV2` (variant `V2` of
#              `WalletSnapshot`) with `From<SnapshotV1>`; V1 snapshots still load: exits 0.
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
    dir=$(mktemp -d "${TMPDIR:-/tmp}/coerce-wallet-history.XXXXXX")
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
commit "2025-01-06T09:00:00Z" "version 1: coerce persistent wallet, snapshot layout V1"

# Version 2: the change, as a patch against version 1.
bad_change() {
    cat <<'PATCH'
diff --git a/src/wallet.rs b/src/wallet.rs
--- a/src/wallet.rs
+++ b/src/wallet.rs
@@ -13,6 +13,8 @@ pub struct Wallet {
     pub owner: String,
     pub balance_cents: i64,
     pub operations: u64,
+    /// How far below zero a withdrawal may take the balance.
+    pub overdraft_limit_cents: i64,
 }
 
 #[derive(JsonMessage, Serialize, Deserialize)]
@@ -37,6 +39,7 @@ pub enum WalletSnapshot {
 pub struct SnapshotV1 {
     pub balance_cents: i64,
     pub operations: u64,
+    pub overdraft_limit_cents: i64,
 }
 
 #[async_trait]
@@ -61,7 +64,11 @@ impl Wallet {
 
     async fn snapshot_if_due(&self, ctx: &mut ActorContext) {
         if self.operations % SNAPSHOT_EVERY == 0 {
-            let snapshot = SnapshotV1 { balance_cents: self.balance_cents, operations: self.operations };
+            let snapshot = SnapshotV1 {
+                balance_cents: self.balance_cents,
+                operations: self.operations,
+                overdraft_limit_cents: self.overdraft_limit_cents,
+            };
             let _ = self.snapshot(WalletSnapshot::V1(snapshot), ctx).await;
         }
     }
@@ -80,7 +87,7 @@ impl Handler<Deposit> for Wallet {
 #[async_trait]
 impl Handler<Withdraw> for Wallet {
     async fn handle(&mut self, message: Withdraw, ctx: &mut ActorContext) -> Result<(), String> {
-        if message.amount_cents > self.balance_cents {
+        if message.amount_cents > self.balance_cents + self.overdraft_limit_cents {
             return Err(format!("balance {} is below {}", self.balance_cents, message.amount_cents));
         }
         self.persist(&message, ctx).await.map_err(|e| format!("{e:?}"))?;
@@ -111,6 +118,7 @@ impl RecoverSnapshot<WalletSnapshot> for Wallet {
             WalletSnapshot::V1(s) => {
                 self.balance_cents = s.balance_cents;
                 self.operations = s.operations;
+                self.overdraft_limit_cents = s.overdraft_limit_cents;
             }
         }
     }
@@ -123,7 +131,7 @@ mod tests {
     /// A snapshot as release 1 writes it: the variant name is the layout's version.
     #[test]
     fn wallet_snapshot_v1_reads_back() {
-        let json = r#"{"V1":{"balance_cents":500,"operations":100}}"#;
+        let json = r#"{"V1":{"balance_cents":500,"operations":100,"overdraft_limit_cents":0}}"#;
         let WalletSnapshot::V1(s) = serde_json::from_str(json).unwrap();
         assert_eq!((s.balance_cents, s.operations), (500, 100));
     }
PATCH
}

migrated_change() {
    cat <<'PATCH'
diff --git a/src/wallet.rs b/src/wallet.rs
--- a/src/wallet.rs
+++ b/src/wallet.rs
@@ -13,6 +13,8 @@ pub struct Wallet {
     pub owner: String,
     pub balance_cents: i64,
     pub operations: u64,
+    /// How far below zero a withdrawal may take the balance.
+    pub overdraft_limit_cents: i64,
 }
 
 #[derive(JsonMessage, Serialize, Deserialize)]
@@ -31,6 +33,7 @@ pub struct Withdraw {
 #[derive(JsonSnapshot, Serialize, Deserialize)]
 pub enum WalletSnapshot {
     V1(SnapshotV1),
+    V2(SnapshotV2),
 }
 
 #[derive(Serialize, Deserialize)]
@@ -39,6 +42,20 @@ pub struct SnapshotV1 {
     pub operations: u64,
 }
 
+#[derive(Serialize, Deserialize)]
+pub struct SnapshotV2 {
+    pub balance_cents: i64,
+    pub operations: u64,
+    pub overdraft_limit_cents: i64,
+}
+
+/// Snapshots taken before overdrafts existed allow none.
+impl From<SnapshotV1> for SnapshotV2 {
+    fn from(old: SnapshotV1) -> Self {
+        SnapshotV2 { balance_cents: old.balance_cents, operations: old.operations, overdraft_limit_cents: 0 }
+    }
+}
+
 #[async_trait]
 impl PersistentActor for Wallet {
     fn persistence_key(&self, _ctx: &ActorContext) -> String {
@@ -61,8 +78,12 @@ impl Wallet {
 
     async fn snapshot_if_due(&self, ctx: &mut ActorContext) {
         if self.operations % SNAPSHOT_EVERY == 0 {
-            let snapshot = SnapshotV1 { balance_cents: self.balance_cents, operations: self.operations };
-            let _ = self.snapshot(WalletSnapshot::V1(snapshot), ctx).await;
+            let snapshot = SnapshotV2 {
+                balance_cents: self.balance_cents,
+                operations: self.operations,
+                overdraft_limit_cents: self.overdraft_limit_cents,
+            };
+            let _ = self.snapshot(WalletSnapshot::V2(snapshot), ctx).await;
         }
     }
 }
@@ -80,7 +101,7 @@ impl Handler<Deposit> for Wallet {
 #[async_trait]
 impl Handler<Withdraw> for Wallet {
     async fn handle(&mut self, message: Withdraw, ctx: &mut ActorContext) -> Result<(), String> {
-        if message.amount_cents > self.balance_cents {
+        if message.amount_cents > self.balance_cents + self.overdraft_limit_cents {
             return Err(format!("balance {} is below {}", self.balance_cents, message.amount_cents));
         }
         self.persist(&message, ctx).await.map_err(|e| format!("{e:?}"))?;
@@ -107,12 +128,13 @@ impl Recover<Withdraw> for Wallet {
 #[async_trait]
 impl RecoverSnapshot<WalletSnapshot> for Wallet {
     async fn recover(&mut self, snapshot: WalletSnapshot, _ctx: &mut ActorContext) {
-        match snapshot {
-            WalletSnapshot::V1(s) => {
-                self.balance_cents = s.balance_cents;
-                self.operations = s.operations;
-            }
-        }
+        let latest = match snapshot {
+            WalletSnapshot::V1(s) => SnapshotV2::from(s),
+            WalletSnapshot::V2(s) => s,
+        };
+        self.balance_cents = latest.balance_cents;
+        self.operations = latest.operations;
+        self.overdraft_limit_cents = latest.overdraft_limit_cents;
     }
 }
 
@@ -122,9 +144,10 @@ mod tests {
 
     /// A snapshot as release 1 writes it: the variant name is the layout's version.
     #[test]
-    fn wallet_snapshot_v1_reads_back() {
+    fn wallet_snapshot_v1_upgrades_to_v2() {
         let json = r#"{"V1":{"balance_cents":500,"operations":100}}"#;
-        let WalletSnapshot::V1(s) = serde_json::from_str(json).unwrap();
-        assert_eq!((s.balance_cents, s.operations), (500, 100));
+        let Ok(WalletSnapshot::V1(s)) = serde_json::from_str(json) else { panic!("not a V1 snapshot") };
+        let s = SnapshotV2::from(s);
+        assert_eq!((s.balance_cents, s.operations, s.overdraft_limit_cents), (500, 100, 0));
     }
 }
PATCH
}

if $migrated; then
    migrated_change | git_ apply --whitespace=nowarn -
    git_ add -A
    commit "2025-01-13T09:00:00Z" "version 2: overdraft limit in a new V2 snapshot layout, From<SnapshotV1>"
else
    bad_change | git_ apply --whitespace=nowarn -
    git_ add -A
    commit "2025-01-13T09:00:00Z" "version 2: overdraft limit added to the V1 snapshot layout"
fi

echo "created $dir:"
git_ log --format='  %h %s'
echo "next: cd $dir && cargo hotlint check --base HEAD~1"
