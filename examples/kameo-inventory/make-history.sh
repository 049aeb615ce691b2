#!/usr/bin/env bash
# Builds a throwaway git repository holding two commits of this example, to try
# `cargo hotlint check --base HEAD~1` on a real change:
#
#   version 1  the example as it is in this directory;
#   version 2  `Warehouse::reserved` changes type (a total per SKU becomes a list of
#              reservations per order) and `STATE_VERSION` stays 1: state saved by version 1
#              no longer parses. `cargo hotlint check --base HEAD~1` exits 1 with HL002.
#
# With --migrated, version 2 is the same change made safely:
#              the same change, with `STATE_VERSION = 2` and a `code_change` arm that
#              converts version 1 totals: exits 0.
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
    dir=$(mktemp -d "${TMPDIR:-/tmp}/kameo-inventory-history.XXXXXX")
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
commit "2025-01-06T09:00:00Z" "version 1: kameo warehouse, JSON state at version 1"

# Version 2: the change, as a patch against version 1.
bad_change() {
    cat <<'PATCH'
diff --git a/src/warehouse.rs b/src/warehouse.rs
--- a/src/warehouse.rs
+++ b/src/warehouse.rs
@@ -8,8 +8,15 @@ use serde::{Deserialize, Serialize};
 pub struct Warehouse {
     pub site: String,
     pub on_hand: BTreeMap<String, u32>,
-    /// Units promised to orders that have not shipped yet.
-    pub reserved: BTreeMap<String, u32>,
+    /// Units promised to orders that have not shipped yet, per order, so a cancelled order
+    /// releases exactly what it held.
+    pub reserved: BTreeMap<String, Vec<Reservation>>,
+}
+
+#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
+pub struct Reservation {
+    pub order: u64,
+    pub quantity: u32,
 }
 
 impl Warehouse {
@@ -38,7 +45,8 @@ impl Warehouse {
 
     fn available(&self, sku: &str) -> u32 {
         let on_hand = self.on_hand.get(sku).copied().unwrap_or(0);
-        on_hand.saturating_sub(self.reserved.get(sku).copied().unwrap_or(0))
+        let held: u32 = self.reserved.get(sku).into_iter().flatten().map(|r| r.quantity).sum();
+        on_hand.saturating_sub(held)
     }
 }
 
@@ -70,7 +78,7 @@ impl Message<Reserve> for Warehouse {
         if self.available(&msg.sku) < msg.quantity {
             return Err(format!("order {}: not enough `{}` at {}", msg.order, msg.sku, self.site));
         }
-        *self.reserved.entry(msg.sku).or_default() += msg.quantity;
+        self.reserved.entry(msg.sku).or_default().push(Reservation { order: msg.order, quantity: msg.quantity });
         Ok(())
     }
 }
PATCH
}

migrated_change() {
    cat <<'PATCH'
diff --git a/src/warehouse.rs b/src/warehouse.rs
--- a/src/warehouse.rs
+++ b/src/warehouse.rs
@@ -8,12 +8,27 @@ use serde::{Deserialize, Serialize};
 pub struct Warehouse {
     pub site: String,
     pub on_hand: BTreeMap<String, u32>,
-    /// Units promised to orders that have not shipped yet.
-    pub reserved: BTreeMap<String, u32>,
+    /// Units promised to orders that have not shipped yet, per order, so a cancelled order
+    /// releases exactly what it held.
+    pub reserved: BTreeMap<String, Vec<Reservation>>,
+}
+
+#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
+pub struct Reservation {
+    pub order: u64,
+    pub quantity: u32,
+}
+
+/// The layout of state version 1, kept to read what that release saved.
+#[derive(Deserialize)]
+struct WarehouseV1 {
+    site: String,
+    on_hand: BTreeMap<String, u32>,
+    reserved: BTreeMap<String, u32>,
 }
 
 impl Warehouse {
-    pub const STATE_VERSION: u32 = 1;
+    pub const STATE_VERSION: u32 = 2;
 
     /// Reads a saved warehouse, whichever release wrote it.
     pub fn restore(version: u32, json: &str) -> Result<Self, String> {
@@ -24,9 +39,20 @@ impl Warehouse {
         }
     }
 
-    /// Upgrades state saved by an older release. Version 1 is the first: nothing to read yet.
-    pub fn code_change(from: u32, _json: &str) -> Result<Self, String> {
+    /// Upgrades state saved by an older release.
+    pub fn code_change(from: u32, json: &str) -> Result<Self, String> {
         match from {
+            // Version 1 kept one total per SKU; the orders behind it are unknown, so the total
+            // becomes one reservation held by order 0 until those orders ship.
+            1 => {
+                let old: WarehouseV1 = serde_json::from_str(json).map_err(|e| e.to_string())?;
+                let reserved = old
+                    .reserved
+                    .into_iter()
+                    .map(|(sku, quantity)| (sku, vec![Reservation { order: 0, quantity }]))
+                    .collect();
+                Ok(Warehouse { site: old.site, on_hand: old.on_hand, reserved })
+            }
             other => Err(format!("no migration from state version {other}")),
         }
     }
@@ -38,7 +64,8 @@ impl Warehouse {
 
     fn available(&self, sku: &str) -> u32 {
         let on_hand = self.on_hand.get(sku).copied().unwrap_or(0);
-        on_hand.saturating_sub(self.reserved.get(sku).copied().unwrap_or(0))
+        let held: u32 = self.reserved.get(sku).into_iter().flatten().map(|r| r.quantity).sum();
+        on_hand.saturating_sub(held)
     }
 }
 
@@ -70,7 +97,7 @@ impl Message<Reserve> for Warehouse {
         if self.available(&msg.sku) < msg.quantity {
             return Err(format!("order {}: not enough `{}` at {}", msg.order, msg.sku, self.site));
         }
-        *self.reserved.entry(msg.sku).or_default() += msg.quantity;
+        self.reserved.entry(msg.sku).or_default().push(Reservation { order: msg.order, quantity: msg.quantity });
         Ok(())
     }
 }
@@ -87,4 +114,11 @@ mod tests {
         assert_eq!(Warehouse::restore(version, &json).unwrap(), w);
         assert!(Warehouse::code_change(0, &json).is_err());
     }
+
+    #[test]
+    fn code_change_reads_version_1() {
+        let v1 = r#"{"site":"lyon","on_hand":{"bolt-m6":40},"reserved":{"bolt-m6":5}}"#;
+        let w = Warehouse::code_change(1, v1).unwrap();
+        assert_eq!(w.reserved["bolt-m6"], vec![Reservation { order: 0, quantity: 5 }]);
+    }
 }
PATCH
}

if $migrated; then
    migrated_change | git_ apply --whitespace=nowarn -
    git_ add -A
    commit "2025-01-13T09:00:00Z" "version 2: reservations per order, state version 2 with a code_change arm for 1"
else
    bad_change | git_ apply --whitespace=nowarn -
    git_ add -A
    commit "2025-01-13T09:00:00Z" "version 2: reservations per order, state version unchanged"
fi

echo "created $dir:"
git_ log --format='  %h %s'
echo "next: cd $dir && cargo hotlint check --base HEAD~1"
