#!/usr/bin/env bash
# Builds a throwaway git repository holding two commits of this example, to try
# `cargo hotlint check --base HEAD~1` on a real change:
#
#   version 1  the example as it is in this directory;
#   version 2  the variant `Mode::Eco` is removed (a `ceiling` replaces it) and
#              `STATE_VERSION` stays 1: a settings file saved in Eco mode no longer loads.
#              `cargo hotlint check --base HEAD~1` exits 1 with HL002.
#
# With --migrated, version 2 is the same change made safely:
#              the same change, with `STATE_VERSION = 2` and a `code_change` arm that turns
#              a version 1 `Eco` into `Heat` with a 19 °C ceiling: exits 0.
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
    dir=$(mktemp -d "${TMPDIR:-/tmp}/riker-thermostat-history.XXXXXX")
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
commit "2025-01-06T09:00:00Z" "version 1: riker thermostat, RON settings at state version 1"

# Version 2: the change, as a patch against version 1.
bad_change() {
    cat <<'PATCH'
diff --git a/src/thermostat.rs b/src/thermostat.rs
--- a/src/thermostat.rs
+++ b/src/thermostat.rs
@@ -8,8 +8,6 @@ pub enum Mode {
     Off,
     Heat,
     Cool,
-    /// Heat, but never above 19 °C.
-    Eco,
 }
 
 #[derive(Clone, Debug)]
@@ -27,6 +25,8 @@ pub struct Reading(pub f32);
 pub struct Thermostat {
     pub target: f32,
     pub mode: Mode,
+    /// Heating never goes above this, whatever the target: what `Eco` mode used to do.
+    pub ceiling: Option<f32>,
     #[serde(skip)]
     pub file: PathBuf,
 }
@@ -47,7 +47,7 @@ impl Thermostat {
                     None => return Err(format!("bad version line `{header}`")),
                 }
             }
-            Err(_) => Thermostat { target: 20.0, mode: Mode::Off, file: PathBuf::new() },
+            Err(_) => Thermostat { target: 20.0, mode: Mode::Off, ceiling: None, file: PathBuf::new() },
         };
         thermostat.file = file;
         Ok(thermostat)
@@ -74,8 +74,7 @@ impl Thermostat {
 
     fn heating_wanted(&self, reading: f32) -> bool {
         match self.mode {
-            Mode::Heat => reading < self.target,
-            Mode::Eco => reading < self.target.min(19.0),
+            Mode::Heat => reading < self.target.min(self.ceiling.unwrap_or(f32::INFINITY)),
             Mode::Off | Mode::Cool => false,
         }
     }
@@ -83,7 +82,7 @@ impl Thermostat {
 
 impl ActorFactoryArgs<PathBuf> for Thermostat {
     fn create_args(file: PathBuf) -> Self {
-        Thermostat::load(file.clone()).unwrap_or(Thermostat { target: 20.0, mode: Mode::Off, file })
+        Thermostat::load(file.clone()).unwrap_or(Thermostat { target: 20.0, mode: Mode::Off, ceiling: None, file })
     }
 }
 
PATCH
}

migrated_change() {
    cat <<'PATCH'
diff --git a/src/thermostat.rs b/src/thermostat.rs
--- a/src/thermostat.rs
+++ b/src/thermostat.rs
@@ -8,8 +8,6 @@ pub enum Mode {
     Off,
     Heat,
     Cool,
-    /// Heat, but never above 19 °C.
-    Eco,
 }
 
 #[derive(Clone, Debug)]
@@ -22,17 +20,38 @@ pub struct SetMode(pub Mode);
 #[derive(Clone, Debug)]
 pub struct Reading(pub f32);
 
+/// The settings of state version 1, kept to read what older firmware saved.
+mod v1 {
+    use serde::Deserialize;
+
+    #[derive(Deserialize)]
+    pub enum Mode {
+        Off,
+        Heat,
+        Cool,
+        Eco,
+    }
+
+    #[derive(Deserialize)]
+    pub struct Thermostat {
+        pub target: f32,
+        pub mode: Mode,
+    }
+}
+
 #[actor(SetTarget, SetMode, Reading)]
 #[derive(Debug, PartialEq, Serialize, Deserialize)]
 pub struct Thermostat {
     pub target: f32,
     pub mode: Mode,
+    /// Heating never goes above this, whatever the target: what `Eco` mode used to do.
+    pub ceiling: Option<f32>,
     #[serde(skip)]
     pub file: PathBuf,
 }
 
 impl Thermostat {
-    pub const STATE_VERSION: u32 = 1;
+    pub const STATE_VERSION: u32 = 2;
 
     /// Reads the settings file (a `version N` line, then the state in RON), or starts
     /// switched off.
@@ -47,15 +66,26 @@ impl Thermostat {
                     None => return Err(format!("bad version line `{header}`")),
                 }
             }
-            Err(_) => Thermostat { target: 20.0, mode: Mode::Off, file: PathBuf::new() },
+            Err(_) => Thermostat { target: 20.0, mode: Mode::Off, ceiling: None, file: PathBuf::new() },
         };
         thermostat.file = file;
         Ok(thermostat)
     }
 
-    /// Upgrades settings saved by an older firmware. Version 1 is the first: nothing to read yet.
-    pub fn code_change(from: u32, _text: &str) -> Result<Self, String> {
+    /// Upgrades settings saved by an older firmware.
+    pub fn code_change(from: u32, text: &str) -> Result<Self, String> {
         match from {
+            // Version 1 had an `Eco` mode: heat with a ceiling of 19 °C.
+            1 => {
+                let old: v1::Thermostat = ron::from_str(text).map_err(|e| e.to_string())?;
+                let (mode, ceiling) = match old.mode {
+                    v1::Mode::Off => (Mode::Off, None),
+                    v1::Mode::Heat => (Mode::Heat, None),
+                    v1::Mode::Cool => (Mode::Cool, None),
+                    v1::Mode::Eco => (Mode::Heat, Some(19.0)),
+                };
+                Ok(Thermostat { target: old.target, mode, ceiling, file: PathBuf::new() })
+            }
             other => Err(format!("no migration from state version {other}")),
         }
     }
@@ -74,8 +104,7 @@ impl Thermostat {
 
     fn heating_wanted(&self, reading: f32) -> bool {
         match self.mode {
-            Mode::Heat => reading < self.target,
-            Mode::Eco => reading < self.target.min(19.0),
+            Mode::Heat => reading < self.target.min(self.ceiling.unwrap_or(f32::INFINITY)),
             Mode::Off | Mode::Cool => false,
         }
     }
@@ -83,7 +112,7 @@ impl Thermostat {
 
 impl ActorFactoryArgs<PathBuf> for Thermostat {
     fn create_args(file: PathBuf) -> Self {
-        Thermostat::load(file.clone()).unwrap_or(Thermostat { target: 20.0, mode: Mode::Off, file })
+        Thermostat::load(file.clone()).unwrap_or(Thermostat { target: 20.0, mode: Mode::Off, ceiling: None, file })
     }
 }
 
@@ -131,4 +160,10 @@ mod tests {
     fn code_change_refuses_unknown_versions() {
         assert!(Thermostat::code_change(0, "()").is_err());
     }
+
+    #[test]
+    fn code_change_turns_eco_into_a_ceiling() {
+        let t = Thermostat::code_change(1, "(target: 21.5, mode: Eco)").unwrap();
+        assert_eq!((t.mode, t.ceiling), (Mode::Heat, Some(19.0)));
+    }
 }
PATCH
}

if $migrated; then
    migrated_change | git_ apply --whitespace=nowarn -
    git_ add -A
    commit "2025-01-13T09:00:00Z" "version 2: Eco mode becomes a ceiling, state version 2 with a code_change arm for 1"
else
    bad_change | git_ apply --whitespace=nowarn -
    git_ add -A
    commit "2025-01-13T09:00:00Z" "version 2: Eco mode becomes a ceiling, state version unchanged"
fi

echo "created $dir:"
git_ log --format='  %h %s'
echo "next: cd $dir && cargo hotlint check --base HEAD~1"
