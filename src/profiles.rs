//! Framework profiles: how each actor framework declares actors, their state, their messages,
//! what makes a message remote, and how actors are spawned. Data, not code: one TOML file per
//! framework under `rules/frameworks/`, embedded in the binary; users add their own under
//! `[[framework]]` in the configuration, in the same format (README documents every field).
//! Invariant: every path in a profile is a full path (`ractor::Actor`), compared against
//! resolved paths, never against bare identifiers.

use serde::Deserialize;

use crate::error::{Error, Result};

/// The built-in profiles, embedded. A test checks this list against `rules/frameworks/`.
pub const BUILTIN: &[(&str, &str)] = &[
    ("actix", include_str!("../rules/frameworks/actix.toml")),
    ("coerce", include_str!("../rules/frameworks/coerce.toml")),
    ("kameo", include_str!("../rules/frameworks/kameo.toml")),
    ("ractor", include_str!("../rules/frameworks/ractor.toml")),
    ("riker", include_str!("../rules/frameworks/riker.toml")),
    ("stateright", include_str!("../rules/frameworks/stateright.toml")),
    ("xtra", include_str!("../rules/frameworks/xtra.toml")),
];

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Framework name shown in output (`ractor`).
    pub name: String,
    /// One line for `README` and `--help`.
    #[serde(default)]
    pub summary: String,
    /// Crates whose items this profile describes (for dependency scanning).
    #[serde(default)]
    pub crates: Vec<String>,
    /// `true` for a profile that only says what is *not* an actor (stateright).
    #[serde(default)]
    pub not_actor: bool,
    /// Ways an actor is declared.
    #[serde(default)]
    pub actor: Vec<ActorForm>,
    /// Ways a message is attached to an actor besides the actor declaration.
    #[serde(default)]
    pub message: Vec<MessageForm>,
    #[serde(default)]
    pub remote: Option<RemoteForm>,
    #[serde(default)]
    pub spawn: Option<SpawnForm>,
    #[serde(default)]
    pub persist: Option<PersistForm>,
    /// Names of the framework's actor handles (`ActorRef`, `Addr`, `Recipient`), types of its
    /// `crates`: a handle travels as an id or not at all, never as the fields of the actor (or
    /// message) its generic argument names, so a shape does not follow that argument.
    #[serde(default)]
    pub handles: Vec<String>,
}

/// One way to declare an actor. Exactly one of `trait`, `derive`, `attribute` is set.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActorForm {
    /// `impl Trait for A`: the trait's full paths.
    #[serde(default, rename = "trait")]
    pub traits: Vec<String>,
    /// `#[derive(D)] struct A`: the derive's full paths.
    #[serde(default)]
    pub derive: Vec<String>,
    /// `#[attr(…)] impl A { … }`: the attribute's full paths.
    #[serde(default)]
    pub attribute: Vec<String>,
    /// Where the state is: `self` (the actor type), `assoc:NAME` (an associated type of the
    /// impl), `arg:NAME` (an argument of the attribute, `state = S`).
    pub state: String,
    /// State when `arg:NAME` is absent (`()` for `#[ractor::actor]`).
    #[serde(default)]
    pub default_state: Option<String>,
    /// Where messages are: `assoc:NAME`, `arg:NAME`, or `attr-list:NAME` (`#[actor(M1, M2)]`).
    #[serde(default)]
    pub messages: Vec<String>,
    /// Releases that use this form (documentation only).
    #[serde(default)]
    pub releases: Option<String>,
}

/// One way to attach a message type to an actor.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageForm {
    /// `impl Trait<M> for A`: M is a message of A (or, when the trait's argument is the actor
    /// and the implementor is not, the reversed form of old releases).
    #[serde(default, rename = "trait")]
    pub traits: Vec<String>,
    /// `#[attr] impl A { … }` blocks whose methods generate messages.
    #[serde(default)]
    pub impl_attribute: Vec<String>,
    /// Which methods of such a block are handlers: an attribute name (`message`), or `*`.
    #[serde(default)]
    pub method_attribute: Option<String>,
    /// What each handler method generates: `pascal-case-struct` (a struct named after the
    /// method, its parameters as fields) or `first-param` (the first parameter's type).
    #[serde(default)]
    pub generated: Option<String>,
    #[serde(default)]
    pub releases: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteForm {
    /// Derives that make a message type remote.
    #[serde(default)]
    pub message_derive: Vec<String>,
    /// Attributes on `impl Message<M> for A` that make M (and A) remote.
    #[serde(default)]
    pub impl_attribute: Vec<String>,
    /// Derives that make an actor remote; its messages are listed in `actor_messages_attribute`.
    #[serde(default)]
    pub actor_derive: Vec<String>,
    #[serde(default)]
    pub actor_messages_attribute: Vec<String>,
    /// Calls that register a remote handler: `with_handler::<A, M>("id")`.
    #[serde(default)]
    pub handler_calls: Vec<String>,
    /// Wire encoding class of remote messages: positional, positional-varint, named.
    pub encoding: String,
    /// What identifies a message on the wire: `variant-name`, `type-hash`, `type-name`,
    /// `handler-id`.
    #[serde(default)]
    pub identity: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpawnForm {
    /// Spawn calls that do not link the new actor to the caller.
    #[serde(default)]
    pub unlinked: Vec<String>,
    /// Spawn calls that link or supervise it.
    #[serde(default)]
    pub linked: Vec<String>,
    /// Spawn calls made through the framework's trait, crate or system rather than on the actor
    /// type (`Actor::spawn(None, Child, ())`, `Spawn::spawn(Child { … })`, `system.new_actor(id,
    /// Child, …)`): function name → index of the argument that is the actor.
    #[serde(default)]
    pub actor_argument: std::collections::BTreeMap<String, usize>,
    /// Calls that link an actor already started (`child.link(&parent)`): a function that makes
    /// one links what it starts.
    #[serde(default)]
    pub link_calls: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersistForm {
    /// Traits whose implementors persist their state.
    #[serde(default, rename = "trait")]
    pub traits: Vec<String>,
    /// The method in which persisted types are registered.
    #[serde(default)]
    pub configure_fn: Option<String>,
    /// Calls inside it that register a snapshot type (`snapshot::<S>("id")`).
    #[serde(default)]
    pub snapshot_calls: Vec<String>,
    /// Calls that register a journal message type (`message::<M>("id")`).
    #[serde(default)]
    pub message_calls: Vec<String>,
    /// Encoding of persisted types when nothing else says (derive-generated JSON, …).
    #[serde(default)]
    pub encoding: Option<String>,
}

pub fn parse_profile(name: &str, text: &str) -> Result<Profile> {
    let p: Profile = toml::from_str(text).map_err(|e| Error::Config {
        location: format!("rules/frameworks/{name}.toml"),
        message: e.message().to_string(),
    })?;
    validate(&p, &format!("framework profile `{}`", p.name))?;
    Ok(p)
}

pub fn validate(p: &Profile, what: &str) -> Result<()> {
    let bad = |m: String| Error::Config { location: what.to_string(), message: m };
    for a in &p.actor {
        let forms =
            [!a.traits.is_empty(), !a.derive.is_empty(), !a.attribute.is_empty()].iter().filter(|x| **x).count();
        if forms != 1 {
            return Err(bad("each `[[actor]]` sets exactly one of `trait`, `derive`, `attribute`".into()));
        }
        if !(a.state == "self" || a.state.starts_with("assoc:") || a.state.starts_with("arg:")) {
            return Err(bad(format!("`state = \"{}\"` must be `self`, `assoc:NAME` or `arg:NAME`", a.state)));
        }
        for m in &a.messages {
            if !(m.starts_with("assoc:") || m.starts_with("arg:") || m.starts_with("attr-list:")) {
                return Err(bad(format!(
                    "`messages` entry `{m}` must be `assoc:NAME`, `arg:NAME` or `attr-list:NAME`"
                )));
            }
        }
    }
    if let Some(r) = &p.remote {
        if !matches!(r.encoding.as_str(), "positional" | "positional-varint" | "named" | "memory") {
            return Err(bad(format!(
                "remote `encoding = \"{}\"` is not one of positional, positional-varint, named, memory",
                r.encoding
            )));
        }
    }
    Ok(())
}

/// The built-in profiles followed by the configured ones.
pub fn load(extra: &[Profile]) -> Result<Vec<Profile>> {
    let mut out = Vec::new();
    for (name, text) in BUILTIN {
        out.push(parse_profile(name, text)?);
    }
    out.extend(extra.iter().cloned());
    Ok(out)
}

/// Whether an external path names an actor handle of a built-in profile (`kameo::actor::ActorRef`,
/// `actix::Addr`): its generic arguments are not data. User profiles' `handles` are not read
/// here (a shape then follows the argument: more reported, never less).
pub fn is_actor_handle(path: &str) -> bool {
    static HANDLES: std::sync::OnceLock<Vec<(Vec<String>, Vec<String>)>> = std::sync::OnceLock::new();
    let handles =
        HANDLES.get_or_init(|| load(&[]).unwrap_or_default().into_iter().map(|p| (p.crates, p.handles)).collect());
    let (Some(first), last) = (path.split("::").next(), last_segment(path)) else { return false };
    let last = last.split('<').next().unwrap_or(last);
    handles.iter().any(|(crates, names)| crates.iter().any(|c| c == first) && names.iter().any(|n| n == last))
}

/// Every function name whose call sites the parser should record.
pub fn interesting_calls(profiles: &[Profile]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in profiles {
        if let Some(s) = &p.spawn {
            out.extend(s.unlinked.iter().chain(&s.linked).chain(&s.link_calls).map(|c| last_segment(c).to_string()));
            out.extend(s.actor_argument.keys().cloned());
        }
        if let Some(ps) = &p.persist {
            out.extend(ps.snapshot_calls.iter().chain(&ps.message_calls).cloned());
        }
        if let Some(r) = &p.remote {
            out.extend(r.handler_calls.iter().cloned());
        }
    }
    out.sort();
    out.dedup();
    out
}

pub fn last_segment(path: &str) -> &str {
    crate::ir::last_segment(path)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn builtin_profiles_parse() {
        let all = load(&[]).unwrap();
        assert!(all.iter().any(|p| p.name == "ractor"));
    }

    #[test]
    fn actor_handles_are_known_by_crate_and_name() {
        assert!(is_actor_handle("kameo::actor::RemoteActorRef"));
        assert!(is_actor_handle("kameo::prelude::ActorRef"));
        assert!(is_actor_handle("actix::Addr"));
        assert!(is_actor_handle("ractor::ActorRef"));
        // Another crate's `ActorRef`, or a framework's data type, is not a handle.
        assert!(!is_actor_handle("my_app::ActorRef"));
        assert!(!is_actor_handle("kameo::actor::ActorId"));
    }

    #[test]
    fn every_profile_file_is_embedded() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/frameworks");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path().file_stem().unwrap().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        let embedded: Vec<String> = BUILTIN.iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(on_disk, embedded);
    }
}
