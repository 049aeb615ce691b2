#!/usr/bin/env bash
# Builds a throwaway git repository holding two commits of this example, to try
# `cargo hotlint check --base HEAD~1` on a real change:
#
#   version 1  the example as it is in this directory;
#   version 2  `PlaceOrder` gains a required field `time_in_force`: during a rolling deploy a
#              new book cannot read orders from old gateways. `cargo hotlint check
#              --base HEAD~1` exits 1 with HL005.
#
# With --migrated, version 2 is the same change made safely:
#              the same field with `#[serde(default)]`, which old and new nodes both read
#              (a message between two releases is migrated by staying readable both ways):
#              exits 0.
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
    dir=$(mktemp -d "${TMPDIR:-/tmp}/kameo-remote-history.XXXXXX")
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
commit "2025-01-06T09:00:00Z" "version 1: kameo order book reached through remote messages"

# Version 2: the change, as a patch against version 1.
bad_change() {
    cat <<'PATCH'
diff --git a/src/book.rs b/src/book.rs
--- a/src/book.rs
+++ b/src/book.rs
@@ -2,7 +2,7 @@ use std::collections::BTreeMap;
 
 use kameo::prelude::*;
 
-use crate::messages::{CancelOrder, PlaceOrder, Side};
+use crate::messages::{CancelOrder, PlaceOrder, Side, TimeInForce};
 
 pub struct Resting {
     pub client: String,
@@ -18,6 +18,16 @@ pub struct OrderBook {
     resting: BTreeMap<u64, Resting>,
 }
 
+impl OrderBook {
+    /// Whether an order at this price would trade against a resting one.
+    fn crosses(&self, side: Side, price_cents: u64) -> bool {
+        self.resting.values().any(|r| match side {
+            Side::Buy => r.side == Side::Sell && r.price_cents <= price_cents,
+            Side::Sell => r.side == Side::Buy && r.price_cents >= price_cents,
+        })
+    }
+}
+
 #[remote_message]
 impl Message<PlaceOrder> for OrderBook {
     type Reply = Result<u64, String>;
@@ -26,6 +36,9 @@ impl Message<PlaceOrder> for OrderBook {
         if msg.quantity == 0 {
             return Err("quantity must be positive".into());
         }
+        if msg.time_in_force == TimeInForce::ImmediateOrCancel && !self.crosses(msg.side, msg.price_cents) {
+            return Err("immediate-or-cancel order would rest on the book".into());
+        }
         self.next_id += 1;
         let order = Resting { client: msg.client, side: msg.side, price_cents: msg.price_cents, quantity: msg.quantity };
         self.resting.insert(self.next_id, order);
diff --git a/src/messages.rs b/src/messages.rs
--- a/src/messages.rs
+++ b/src/messages.rs
@@ -6,6 +6,12 @@ pub enum Side {
     Sell,
 }
 
+#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
+pub enum TimeInForce {
+    GoodTillCancelled,
+    ImmediateOrCancel,
+}
+
 /// Sent by gateway nodes to the node that owns the book.
 #[derive(Debug, Clone, Serialize, Deserialize)]
 pub struct PlaceOrder {
@@ -13,6 +19,7 @@ pub struct PlaceOrder {
     pub side: Side,
     pub price_cents: u64,
     pub quantity: u32,
+    pub time_in_force: TimeInForce,
 }
 
 #[derive(Debug, Clone, Serialize, Deserialize)]
PATCH
}

migrated_change() {
    cat <<'PATCH'
diff --git a/src/book.rs b/src/book.rs
--- a/src/book.rs
+++ b/src/book.rs
@@ -2,7 +2,7 @@ use std::collections::BTreeMap;
 
 use kameo::prelude::*;
 
-use crate::messages::{CancelOrder, PlaceOrder, Side};
+use crate::messages::{CancelOrder, PlaceOrder, Side, TimeInForce};
 
 pub struct Resting {
     pub client: String,
@@ -18,6 +18,16 @@ pub struct OrderBook {
     resting: BTreeMap<u64, Resting>,
 }
 
+impl OrderBook {
+    /// Whether an order at this price would trade against a resting one.
+    fn crosses(&self, side: Side, price_cents: u64) -> bool {
+        self.resting.values().any(|r| match side {
+            Side::Buy => r.side == Side::Sell && r.price_cents <= price_cents,
+            Side::Sell => r.side == Side::Buy && r.price_cents >= price_cents,
+        })
+    }
+}
+
 #[remote_message]
 impl Message<PlaceOrder> for OrderBook {
     type Reply = Result<u64, String>;
@@ -26,6 +36,9 @@ impl Message<PlaceOrder> for OrderBook {
         if msg.quantity == 0 {
             return Err("quantity must be positive".into());
         }
+        if msg.time_in_force == TimeInForce::ImmediateOrCancel && !self.crosses(msg.side, msg.price_cents) {
+            return Err("immediate-or-cancel order would rest on the book".into());
+        }
         self.next_id += 1;
         let order = Resting { client: msg.client, side: msg.side, price_cents: msg.price_cents, quantity: msg.quantity };
         self.resting.insert(self.next_id, order);
diff --git a/src/messages.rs b/src/messages.rs
--- a/src/messages.rs
+++ b/src/messages.rs
@@ -6,6 +6,13 @@ pub enum Side {
     Sell,
 }
 
+#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
+pub enum TimeInForce {
+    #[default]
+    GoodTillCancelled,
+    ImmediateOrCancel,
+}
+
 /// Sent by gateway nodes to the node that owns the book.
 #[derive(Debug, Clone, Serialize, Deserialize)]
 pub struct PlaceOrder {
@@ -13,6 +20,10 @@ pub struct PlaceOrder {
     pub side: Side,
     pub price_cents: u64,
     pub quantity: u32,
+    /// Added in release 2. Old gateways do not send it and old books ignore it; `default`
+    /// lets the new book read their orders as good-till-cancelled, as before.
+    #[serde(default)]
+    pub time_in_force: TimeInForce,
 }
 
 #[derive(Debug, Clone, Serialize, Deserialize)]
PATCH
}

if $migrated; then
    migrated_change | git_ apply --whitespace=nowarn -
    git_ add -A
    commit "2025-01-13T09:00:00Z" "version 2: time in force on PlaceOrder, defaulted for old senders"
else
    bad_change | git_ apply --whitespace=nowarn -
    git_ add -A
    commit "2025-01-13T09:00:00Z" "version 2: time in force on PlaceOrder, a required field"
fi

echo "created $dir:"
git_ log --format='  %h %s'
echo "next: cd $dir && cargo hotlint check --base HEAD~1"
