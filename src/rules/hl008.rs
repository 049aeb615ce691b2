//! HL008 unsupervised-actor: an actor spawned without a link from inside another actor's code,
//! in a framework that offers a linked form. Root actors spawned from `main` or tests are never
//! reported: only calls inside an actor's impl blocks count.
//!
//! Which actor a call starts is read from what the call shows: the type it is called on
//! (`Child::spawn(…)`, `Child::<T>::spawn(…)`, `<Child as Actor>::spawn(…)`), the value it is
//! called on (`Child.start()`, `Child::new(…).start()`), or, for a call made through the
//! framework's trait, crate or system, the argument the profile names (`Actor::spawn(None,
//! Child, ())`, `system.new_actor(id, Child, …)`).

use crate::actors::Actor;
use crate::findings::{Anchor, Draft};
use crate::ir::*;
use crate::model::Model;
use crate::profiles::{Profile, SpawnForm};
use crate::resolve::{Ns, Res, Resolver};

pub fn check(m: &Model) -> Vec<Draft> {
    let res = Resolver::new(&m.index, &m.config.aliases);
    let mut out = Vec::new();
    for parent in m.actors.actors.iter().filter(|a| !a.test) {
        let Some(parent_ty) = parent.ty else { continue };
        for &i in m.impls.get(&parent_ty).into_iter().flatten() {
            let Some(imp) = m.index.impls.get(i) else { continue };
            if imp.test {
                continue;
            }
            let Some(Item { kind: ItemKind::Impl(def), .. }) = m.index.item(imp.item) else { continue };
            // The functions of a framework trait's impl (lifecycle hooks and handlers; kameo's
            // `on_start` takes no `self`) run as the actor; elsewhere, a function without `self`
            // is a constructor run by whoever calls it (often `main`), not the actor's own code.
            let hooks = framework_impl(m, &res, imp.module, def);
            for f in def.fns.iter().filter(|f| f.has_self || hooks) {
                for call in &f.body.calls {
                    let Some((child, spawn)) = started(m, &res, imp.module, &def.generics, call) else { continue };
                    if spawn.linked.is_empty() || !spawn.unlinked.contains(&call.func) {
                        continue;
                    }
                    if linked_after_all(&f.body.calls, call, spawn) {
                        continue;
                    }
                    out.push(finding(m, parent, child, spawn, call, f));
                }
            }
        }
    }
    out
}

/// Whether an impl is of a framework's actor or message trait (`impl Actor for A`, `impl
/// Message<M> for A`).
fn framework_impl(m: &Model, res: &Resolver<'_>, scope: u32, def: &ImplDef) -> bool {
    let Some(tp) = &def.trait_path else { return false };
    let r = res.resolve(scope, tp.global, &tp.name_refs(), &def.generics, Ns::Type);
    let mut paths = res.paths_of(&r);
    // A framework's own repository: the trait at its crate root too (`ractor::Actor`).
    let rooted: Vec<String> =
        paths.iter().filter_map(|p| Some(format!("{}::{}", p.split("::").next()?, p.rsplit("::").next()?))).collect();
    paths.extend(rooted);
    m.profiles.iter().any(|p| {
        p.actor
            .iter()
            .flat_map(|f| &f.traits)
            .chain(p.message.iter().flat_map(|f| &f.traits))
            .any(|t| paths.contains(t))
    })
}

/// The actor a call starts, with its framework's spawn forms.
fn started<'m>(
    m: &'m Model,
    res: &Resolver<'_>,
    scope: u32,
    generics: &[String],
    call: &CallSite,
) -> Option<(&'m Actor, &'m SpawnForm)> {
    let actor_of = |path: &[String]| -> Option<&'m Actor> {
        let Res::Type(t) = res.resolve(scope, false, path, generics, Ns::Type) else { return None };
        m.actors.actors.iter().find(|a| a.ty == Some(t))
    };
    let spawn_of = |a: &Actor| m.profiles.iter().find(|p| p.name == a.framework).and_then(|p| p.spawn.as_ref());
    // On the actor type or a value visibly built from it.
    let target: Vec<String> = if call.method {
        call.receiver.as_deref().map(|r| r.split("::").map(str::to_string).collect()).unwrap_or_default()
    } else {
        call.path.clone()
    };
    if let Some(a) = (!target.is_empty()).then(|| actor_of(&target)).flatten() {
        return spawn_of(a).map(|s| (a, s));
    }
    // Through the framework: the callee is the framework's trait or crate (or a value, for a
    // method), and the profile says which argument is the actor.
    for p in m.profiles.iter() {
        let Some(spawn) = &p.spawn else { continue };
        let Some(&index) = spawn.actor_argument.get(&call.func) else { continue };
        if !call.method && !callee_in(res, scope, generics, &call.path, p) {
            continue;
        }
        let Some(arg) = call.arg_types.get(index).filter(|a| !a.is_empty()) else { continue };
        let path: Vec<String> = arg.split("::").map(str::to_string).collect();
        if let Some(a) = actor_of(&path).filter(|a| a.framework == p.name) {
            return Some((a, spawn));
        }
    }
    None
}

/// Whether a call's path (`Actor`, `ractor::Actor`, `kameo`) names an item of the profile's
/// crates.
fn callee_in(res: &Resolver<'_>, scope: u32, generics: &[String], path: &[String], p: &Profile) -> bool {
    if path.is_empty() {
        return false;
    }
    let r = res.resolve(scope, false, path, generics, Ns::Type);
    let paths = match &r {
        Res::Mod(m) => vec![res.index.module_path(*m)],
        _ => res.paths_of(&r),
    };
    paths.iter().any(|q| q.split("::").next().is_some_and(|first| p.crates.iter().any(|c| c == first)))
}

/// A spawn that the same function links anyway: a link call (`child.link(&parent)`) after it
/// with no other spawn in between, or a method called on the builder a linked call made
/// (`Child::supervise(&parent, args).spawn()`).
fn linked_after_all(calls: &[CallSite], call: &CallSite, spawn: &SpawnForm) -> bool {
    let start = |c: &CallSite| (c.loc.line, c.loc.col);
    let end = (call.loc.end_line, call.loc.end_col);
    let is_spawn = |c: &CallSite| spawn.unlinked.contains(&c.func) || spawn.linked.contains(&c.func);
    let next = calls
        .iter()
        .filter(|c| start(c) >= end && (is_spawn(c) || (c.method && spawn.link_calls.contains(&c.func))))
        .min_by_key(|c| start(c));
    if next.is_some_and(|c| c.method && spawn.link_calls.contains(&c.func)) {
        return true;
    }
    call.method
        && call.receiver.is_some()
        && calls.iter().any(|c| {
            !c.method
                && c.path.last()
                    == call.receiver.as_ref().and_then(|r| r.rsplit("::").next().map(str::to_string)).as_ref()
                && spawn.linked.iter().any(|l| crate::profiles::last_segment(l) == c.func)
                && (c.loc.end_line, c.loc.end_col) <= (call.loc.line, call.loc.col)
        })
}

fn finding(m: &Model, parent: &Actor, child: &Actor, spawn: &SpawnForm, call: &CallSite, f: &FnDef) -> Draft {
    let child_name = child.id.rsplit("::").next().unwrap_or(&child.id);
    let parent_name = parent.id.rsplit("::").next().unwrap_or(&parent.id);
    let linked = spawn.linked.first().cloned().unwrap_or_default();
    let mut d = Draft::new(format!("actor `{parent_name}` starts `{child_name}` with `{}` and no link", call.func));
    d.package = m.package_of_file(call.loc.file);
    d.primary(call.loc, "started here, unsupervised");
    d.label(parent.decl, &format!("inside `{parent_name}`'s {} code", parent.framework));
    d.actor = Some(parent.id.clone());
    d.ty = Some(child.id.clone());
    d.anchors.push(Anchor { file: call.loc.file, first_line: f.first_line, header_line: f.loc.line });
    d.anchors.push(Anchor {
        file: parent.decl.file,
        first_line: parent.decl_first_line,
        header_line: parent.decl.line,
    });
    d.notes.push(format!(
        "if `{child_name}` crashes on state it cannot read after an upgrade, nothing restarts it and `{parent_name}` is not told"
    ));
    d.help = Some(format!(
        "start it linked to `{parent_name}` with `{linked}` ({}), and handle its exit in the supervisor",
        child.framework
    ));
    d.key = format!("unlinked:{}:{}:{}", parent.id, child.id, call.func);
    d
}
