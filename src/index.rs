//! Stage: index. Input: the workspace and its loaded [`Sources`]. Output: an [`Index`] of crates
//! (one per target), their module trees, and every type, impl, function and constant with the
//! module that defines it and its canonical path (SPEC §1 "Paths are canonical").
//!
//! Name resolution over this index lives in `resolve`. Invariants: the index owns the parsed
//! files and never re-reads them; a file included by two crates (a lib and a bin that both
//! `mod` it) is indexed once per crate, as rustc compiles it once per crate.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::ir::*;
use crate::load::{MissingModule, Sources};
use crate::workspace::{DepKind, TargetKind, Workspace};

pub type CrateId = u32;
pub type ModId = u32;
pub type TypeId = u32;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ItemId {
    pub file: FileId,
    pub idx: u32,
}

#[derive(Debug)]
pub struct Crate {
    pub package: usize,
    pub kind: TargetKind,
    /// The crate's name as Rust code spells it (`my_service`).
    pub name: String,
    /// Its name in canonical paths: `name`, or `name[bin]` when a bin shares the lib's name.
    pub display: String,
    pub root: ModId,
    /// A dependency loaded only to follow re-exports: its items are never reported.
    pub dependency: bool,
    /// Names of the extern prelude (dependencies, the package's own lib) → what they are.
    pub externs: BTreeMap<String, ExternRef>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExternRef {
    /// A crate of the workspace (by its lib crate).
    Workspace(CrateId),
    /// An external crate, by the name its own code uses (`ractor`, `serde_json`).
    External(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModKind {
    Module,
    /// The items declared inside a function body: they see the enclosing module's names.
    FnScope,
}

#[derive(Debug)]
pub struct Module {
    pub krate: CrateId,
    /// The enclosing module (for a function scope, the module or scope the function is in).
    pub parent: Option<ModId>,
    pub kind: ModKind,
    /// Path from the crate root (a function scope adds the function's name).
    pub path: Vec<String>,
    pub file: FileId,
    /// The inline `mod`/`fn` item whose body this is; `None` for a file's top level.
    pub container: Option<u32>,
    /// Inside `#[cfg(test)]`, a `#[test]` function, or a test/bench target.
    pub test: bool,
    /// The `#[cfg(…)]` predicates of the `mod` item that declares it (empty for a crate root, a
    /// function scope, or an unconditional module).
    pub cfg: Vec<String>,
    /// (Hashed with rustc's hasher: name lookups are most of name resolution.)
    pub names: rustc_hash::FxHashMap<String, Vec<Def>>,
    /// `use` entries that bind a name: name → entry.
    pub imports: Vec<Import>,
    pub globs: Vec<Import>,
    /// Item-level macro invocations (for types a macro generates).
    pub macros: Vec<ItemId>,
    /// The module has an item-level `include!`: unresolved names may come from it.
    pub includes: bool,
}

/// One `use` entry of a module, with the `#[cfg(…)]` predicates of its `use` item: a module may
/// import the same name twice under exclusive predicates (`#[cfg(unix)] pub use unix::*;` beside
/// `#[cfg(windows)] pub use windows::*;`), and every variant is part of what the name means.
#[derive(Clone, Debug)]
pub struct Import {
    pub entry: UseEntry,
    pub cfg: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Def {
    Type(TypeId),
    Trait(ItemId),
    Const(ItemId),
    Fn(ItemId),
    Mod(ModId),
    /// A type declared inside a macro invocation (`bitflags! { struct F … }`).
    MacroType(ItemId),
    /// A macro, in the macro namespace: a `macro_rules!` (at the crate root when exported), or a
    /// proc macro (`#[proc_macro_derive(Name)]`, `#[proc_macro_attribute]`, `#[proc_macro]`).
    Macro(ItemId),
}

#[derive(Debug)]
pub struct TypeEntry {
    pub item: ItemId,
    pub module: ModId,
    pub name: String,
    /// Canonical path (`my_service::state::Inner`).
    pub path: String,
    pub test: bool,
}

#[derive(Debug)]
pub struct ScopedItem {
    pub item: ItemId,
    pub module: ModId,
    pub test: bool,
}

#[derive(Debug)]
pub struct Index {
    pub files: Vec<std::sync::Arc<FileSummary>>,
    /// Package of each file (the first crate that included it).
    pub file_package: Vec<Option<usize>>,
    pub crates: Vec<Crate>,
    pub modules: Vec<Module>,
    pub types: Vec<TypeEntry>,
    pub impls: Vec<ScopedItem>,
    pub fns: Vec<ScopedItem>,
    pub consts: Vec<ScopedItem>,
    pub missing: Vec<MissingModule>,
    /// Canonical path → type ids (several for `#[cfg]` variants).
    pub type_by_path: BTreeMap<String, Vec<TypeId>>,
    /// The module that defines each trait (for canonical trait paths).
    pub trait_module: HashMap<ItemId, ModId>,
    /// The module each macro is reachable from and its name there (`kameo_macros` and `Actor`
    /// for `#[proc_macro_derive(Actor)] fn derive_actor`), for canonical macro paths.
    pub macro_names: HashMap<ItemId, (ModId, String)>,
    /// What `load` knew besides the files, kept so the index can be rebuilt with more crates.
    pub mod_rs: Vec<bool>,
    pub roots: BTreeMap<(usize, usize), FileId>,
    pub ids: HashMap<String, FileId>,
    pub children: Vec<crate::load::ModDecl>,
}

impl Index {
    pub fn item(&self, id: ItemId) -> Option<&Item> {
        self.files.get(id.file as usize)?.items.get(id.idx as usize)
    }

    pub fn module(&self, id: ModId) -> Option<&Module> {
        self.modules.get(id as usize)
    }

    pub fn type_entry(&self, id: TypeId) -> Option<&TypeEntry> {
        self.types.get(id as usize)
    }

    pub fn file(&self, id: FileId) -> Option<&FileSummary> {
        self.files.get(id as usize).map(|f| &**f)
    }

    /// Give the parsed files back, to load more crates and rebuild.
    pub fn into_sources(self) -> Sources {
        Sources {
            files: self.files,
            mod_rs: self.mod_rs,
            roots: self.roots,
            missing: self.missing,
            ids: self.ids,
            children: self.children,
        }
    }

    /// Canonical path of a workspace trait (`crate::module::Trait`).
    pub fn trait_path(&self, id: ItemId) -> Option<String> {
        let m = *self.trait_module.get(&id)?;
        match &self.item(id)?.kind {
            ItemKind::Trait(t) => Some(format!("{}::{}", self.module_path(m), t.name)),
            _ => None,
        }
    }

    /// Canonical path of a workspace macro (`kameo_macros::Actor`).
    pub fn macro_path(&self, id: ItemId) -> Option<String> {
        let (m, name) = self.macro_names.get(&id)?;
        Some(format!("{}::{}", self.module_path(*m), name))
    }

    /// The `#[cfg(…)]` predicates written on a definition itself (a `mod`'s are on its module).
    pub fn def_cfg(&self, d: Def) -> Vec<String> {
        let item = match d {
            Def::Type(t) => self.type_entry(t).map(|e| e.item),
            Def::Trait(i) | Def::Const(i) | Def::Fn(i) | Def::MacroType(i) | Def::Macro(i) => Some(i),
            Def::Mod(m) => return self.module(m).map(|md| md.cfg.clone()).unwrap_or_default(),
        };
        item.and_then(|i| self.item(i)).map(|it| cfg_predicates(&it.attrs)).unwrap_or_default()
    }

    /// Every `#[cfg(…)]` predicate under which a type exists: those of the `mod` items that
    /// enclose it, outermost first, then its own. Two definitions at one canonical path (`mod
    /// imp` twins under exclusive predicates) are told apart by it.
    pub fn type_cfg(&self, t: TypeId) -> Vec<String> {
        let Some(entry) = self.type_entry(t) else { return Vec::new() };
        let mut chain = Vec::new();
        let mut m = Some(entry.module);
        let mut guard = 0;
        while let Some(id) = m {
            let Some(md) = self.module(id) else { break };
            chain.push(&md.cfg);
            m = md.parent;
            guard += 1;
            if guard > 1000 {
                break;
            }
        }
        let mut out: Vec<String> = chain.into_iter().rev().flatten().cloned().collect();
        out.extend(self.def_cfg(Def::Type(t)));
        out
    }

    /// Whether module `m` belongs to a dependency loaded for re-exports.
    pub fn in_dependency(&self, m: ModId) -> bool {
        self.krate_of(m).is_some_and(|c| c.dependency)
    }

    pub fn krate_of(&self, m: ModId) -> Option<&Crate> {
        self.module(m).and_then(|m| self.crates.get(m.krate as usize))
    }

    /// The module path `krate::a::b` of a module, as canonical paths print it.
    pub fn module_path(&self, m: ModId) -> String {
        let Some(module) = self.module(m) else { return String::new() };
        let krate = self.crates.get(module.krate as usize).map(|c| c.display.as_str()).unwrap_or("?");
        let mut out = String::with_capacity(krate.len() + module.path.iter().map(|s| s.len() + 2).sum::<usize>());
        out.push_str(krate);
        for name in &module.path {
            out.push_str("::");
            out.push_str(name);
        }
        out
    }

    /// The nearest enclosing real module (function scopes resolve `self`/`super` through it).
    pub fn nearest_module(&self, mut m: ModId) -> ModId {
        let mut guard = 0;
        while let Some(module) = self.module(m) {
            if module.kind == ModKind::Module || guard > 1000 {
                return m;
            }
            match module.parent {
                Some(p) => m = p,
                None => return m,
            }
            guard += 1;
        }
        m
    }
}

/// Build the index of every selected target.
pub fn build(ws: &Workspace, sources: Sources) -> Index {
    let mut b = Builder {
        index: Index {
            file_package: vec![None; sources.files.len()],
            files: Vec::new(),
            crates: Vec::new(),
            modules: Vec::new(),
            types: Vec::new(),
            impls: Vec::new(),
            fns: Vec::new(),
            consts: Vec::new(),
            missing: sources.missing.clone(),
            type_by_path: BTreeMap::new(),
            trait_module: HashMap::new(),
            macro_names: HashMap::new(),
            mod_rs: Vec::new(),
            roots: BTreeMap::new(),
            ids: HashMap::new(),
            children: Vec::new(),
        },
        children: HashMap::new(),
        layout: HashMap::new(),
    };
    // The file of each `mod x;` (the candidates load found, the first one loaded).
    for decl in &sources.children {
        if let Some(child) = sources.child_file(&decl.candidates) {
            b.children.insert((decl.file, decl.item), child);
        }
    }
    // Crates first (so extern preludes can point at workspace libs), then their modules.
    let mut roots = Vec::new();
    for (&(p, t), &file) in &sources.roots {
        let (Some(pkg), Some(target)) = (ws.package(p), ws.package(p).and_then(|pk| pk.targets.get(t))) else {
            continue;
        };
        let name = target.name.replace('-', "_");
        let lib_name = pkg.lib().map(|l| l.name.replace('-', "_"));
        let display = if target.kind != TargetKind::Lib && lib_name.as_deref() == Some(name.as_str()) {
            format!("{}[{}]", name, target.kind.as_str())
        } else {
            name.clone()
        };
        let id = b.index.crates.len() as CrateId;
        b.index.crates.push(Crate {
            package: p,
            kind: target.kind,
            name,
            display,
            root: 0,
            dependency: ws.is_dependency(p),
            externs: BTreeMap::new(),
        });
        roots.push((id, file));
    }
    let lib_crates: HashMap<(usize, TargetKind), CrateId> = b
        .index
        .crates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.kind == TargetKind::Lib)
        .map(|(i, c)| ((c.package, c.kind), i as CrateId))
        .collect();
    let package_dirs: HashMap<&str, usize> = ws.packages.iter().enumerate().map(|(i, p)| (p.dir.as_str(), i)).collect();
    let package_names: HashMap<&str, usize> =
        ws.packages.iter().enumerate().map(|(i, p)| (p.name.as_str(), i)).collect();
    let dep_libs: HashMap<String, CrateId> = b
        .index
        .crates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.dependency && c.kind == TargetKind::Lib)
        .map(|(i, c)| (c.name.clone(), i as CrateId))
        .collect();
    for krate in &mut b.index.crates {
        let Some(pkg) = ws.package(krate.package) else { continue };
        let dev = matches!(krate.kind, TargetKind::Test | TargetKind::Bench | TargetKind::Example);
        for dep in &pkg.deps {
            if dep.kind == DepKind::Build || (dep.kind == DepKind::Dev && !dev) {
                continue;
            }
            let ws_pkg = dep
                .path
                .as_deref()
                .and_then(|p| package_dirs.get(p))
                .or_else(|| package_names.get(dep.package.as_str()))
                .copied();
            let real = dep.package.replace('-', "_");
            let target = match ws_pkg.and_then(|p| lib_crates.get(&(p, TargetKind::Lib))) {
                Some(&c) => ExternRef::Workspace(c),
                None => match dep_libs.get(&real) {
                    Some(&c) => ExternRef::Workspace(c),
                    None => ExternRef::External(real),
                },
            };
            krate.externs.insert(dep.crate_name(), target);
        }
        if krate.kind != TargetKind::Lib {
            if let Some(&lib) = lib_crates.get(&(krate.package, TargetKind::Lib)) {
                if let Some(l) = pkg.lib() {
                    krate.externs.insert(l.name.replace('-', "_"), ExternRef::Workspace(lib));
                }
            }
        }
    }
    for (id, file) in roots {
        let kind = b.index.crates.get(id as usize).map(|c| c.kind);
        let test = matches!(kind, Some(TargetKind::Test | TargetKind::Bench));
        let package = b.index.crates.get(id as usize).map(|c| c.package);
        let root = b.new_module(id, None, ModKind::Module, Vec::new(), file, None, test, Vec::new());
        if let Some(c) = b.index.crates.get_mut(id as usize) {
            c.root = root;
        }
        let mut chain = HashSet::new();
        b.fill(&sources, root, file, None, package, &mut chain);
    }
    b.index.files = sources.files;
    b.index.mod_rs = sources.mod_rs;
    b.index.roots = sources.roots;
    b.index.ids = sources.ids;
    b.index.children = sources.children;
    for (i, t) in b.index.types.iter().enumerate() {
        b.index.type_by_path.entry(t.path.clone()).or_default().push(i as TypeId);
    }
    b.index
}

struct Builder {
    index: Index,
    children: HashMap<(FileId, u32), FileId>,
    /// Per file, its items by parent (`None`: the file's top level) and the items that contain
    /// items: worked out once per file, not once per inline module (a file of 30,000 inline
    /// modules made that quadratic).
    layout: HashMap<FileId, std::rc::Rc<FileLayout>>,
}

#[derive(Default)]
struct FileLayout {
    by_parent: HashMap<Option<u32>, Vec<u32>>,
    containers: HashSet<u32>,
}

impl Builder {
    #[allow(clippy::too_many_arguments)]
    fn new_module(
        &mut self,
        krate: CrateId,
        parent: Option<ModId>,
        kind: ModKind,
        path: Vec<String>,
        file: FileId,
        container: Option<u32>,
        test: bool,
        cfg: Vec<String>,
    ) -> ModId {
        let id = self.index.modules.len() as ModId;
        self.index.modules.push(Module {
            krate,
            parent,
            kind,
            path,
            file,
            container,
            test,
            cfg,
            names: rustc_hash::FxHashMap::default(),
            imports: Vec::new(),
            globs: Vec::new(),
            macros: Vec::new(),
            includes: false,
        });
        id
    }

    /// Register the items of `file` whose parent is `container` into module `m`.
    fn fill(
        &mut self,
        sources: &Sources,
        m: ModId,
        file: FileId,
        container: Option<u32>,
        package: Option<usize>,
        chain: &mut HashSet<(FileId, Option<u32>)>,
    ) {
        if !chain.insert((file, container)) || chain.len() > 512 {
            return;
        }
        if let Some(slot) = self.index.file_package.get_mut(file as usize) {
            if slot.is_none() {
                *slot = package;
            }
        }
        let Some(f) = sources.files.get(file as usize) else { return };
        let (krate, mod_test, mod_path) = match self.index.module(m) {
            Some(md) => (md.krate, md.test, md.path.clone()),
            None => return,
        };
        if container.is_none()
            && f.inner_attrs
                .iter()
                .any(|a| a.is("cfg") && cfg_predicates(std::slice::from_ref(a)).iter().any(|p| cfg_is_test(p)))
        {
            if let Some(md) = self.index.modules.get_mut(m as usize) {
                md.test = true;
            }
        }
        let mod_test = mod_test || self.index.module(m).is_some_and(|md| md.test);
        // Items that contain items (a function whose body declares some), and this module's
        // path as text: each found once per module, not once per item.
        let layout = std::rc::Rc::clone(self.layout.entry(file).or_insert_with(|| {
            let mut layout = FileLayout::default();
            for (idx, item) in f.items.iter().enumerate() {
                layout.by_parent.entry(item.parent).or_default().push(idx as u32);
                if let Some(p) = item.parent {
                    layout.containers.insert(p);
                }
            }
            std::rc::Rc::new(layout)
        }));
        let containers = &layout.containers;
        let mut path_text: Option<String> = None;
        for &idx in layout.by_parent.get(&container).map(Vec::as_slice).unwrap_or(&[]) {
            let Some(item) = f.items.get(idx as usize) else { continue };
            let id = ItemId { file, idx };
            let item_test = mod_test || cfg_predicates(&item.attrs).iter().any(|p| cfg_is_test(p));
            match &item.kind {
                ItemKind::Use(entries) => {
                    let cfg = cfg_predicates(&item.attrs);
                    if let Some(md) = self.index.modules.get_mut(m as usize) {
                        for e in entries {
                            let import = Import { entry: e.clone(), cfg: cfg.clone() };
                            if e.glob {
                                md.globs.push(import);
                            } else if e.alias.is_some() {
                                md.imports.push(import);
                            }
                        }
                    }
                }
                ItemKind::Type(TypeDef { name, .. }) | ItemKind::Alias(AliasDef { name, .. }) => {
                    let tid = self.index.types.len() as TypeId;
                    let module_path = path_text.get_or_insert_with(|| self.module_path(m));
                    let path = format!("{module_path}::{name}");
                    self.index.types.push(TypeEntry { item: id, module: m, name: name.clone(), path, test: item_test });
                    self.bind(m, name, Def::Type(tid));
                }
                ItemKind::Trait(t) => {
                    self.index.trait_module.entry(id).or_insert(m);
                    self.bind(m, &t.name, Def::Trait(id));
                }
                ItemKind::Const(c) => {
                    self.index.consts.push(ScopedItem { item: id, module: m, test: item_test });
                    self.bind(m, &c.name, Def::Const(id));
                }
                ItemKind::Fn(func) => {
                    let fn_test = item_test || func.attrs.iter().any(is_test_attr);
                    self.index.fns.push(ScopedItem { item: id, module: m, test: fn_test });
                    self.bind(m, &func.name, Def::Fn(id));
                    if let Some(name) = proc_macro_name(&item.attrs, &func.name) {
                        self.bind_macro(m, &name, id);
                    }
                    if containers.contains(&idx) {
                        let mut path = mod_path.clone();
                        path.push(func.name.clone());
                        let scope = self.new_module(
                            krate,
                            Some(m),
                            ModKind::FnScope,
                            path,
                            file,
                            Some(idx),
                            fn_test,
                            Vec::new(),
                        );
                        self.fill(sources, scope, file, Some(idx), package, chain);
                    }
                }
                ItemKind::Impl(_) => self.index.impls.push(ScopedItem { item: id, module: m, test: item_test }),
                ItemKind::Mod(md) => {
                    let mut path = mod_path.clone();
                    path.push(md.name.clone());
                    let cfg = cfg_predicates(&item.attrs);
                    if md.inline {
                        let child =
                            self.new_module(krate, Some(m), ModKind::Module, path, file, Some(idx), item_test, cfg);
                        self.bind(m, &md.name, Def::Mod(child));
                        self.fill(sources, child, file, Some(idx), package, chain);
                    } else if let Some(&child_file) = self.children.get(&(file, idx)) {
                        let child =
                            self.new_module(krate, Some(m), ModKind::Module, path, child_file, None, item_test, cfg);
                        self.bind(m, &md.name, Def::Mod(child));
                        self.fill(sources, child, child_file, None, package, chain);
                    }
                }
                ItemKind::ExternCrate { name, rename } => {
                    if let Some(md) = self.index.modules.get_mut(m as usize) {
                        let alias = rename.clone().unwrap_or_else(|| name.clone());
                        if alias != "_" && name != "self" {
                            md.imports.push(Import {
                                entry: UseEntry {
                                    global: true,
                                    path: vec![name.clone()],
                                    alias: Some(alias),
                                    glob: false,
                                },
                                cfg: cfg_predicates(&item.attrs),
                            });
                        }
                    }
                }
                ItemKind::Macro(mac) => {
                    let is_include = mac.path.last().is_some_and(|p| p == "include");
                    if let Some(md) = self.index.modules.get_mut(m as usize) {
                        md.macros.push(id);
                        md.includes |= is_include;
                    }
                    for name in &mac.declared {
                        self.bind(m, name, Def::MacroType(id));
                    }
                }
                ItemKind::MacroRules { name } => {
                    // `#[macro_export]` puts the macro at the crate root, whatever module
                    // defines it; an unexported one is named where it is defined (the textual
                    // scope that `pub(crate) use name;` re-exports from).
                    let target = if item.attrs.iter().any(|a| a.is("macro_export")) {
                        self.index.crates.get(krate as usize).map(|c| c.root).unwrap_or(m)
                    } else {
                        m
                    };
                    self.bind_macro(target, name, id);
                }
                ItemKind::Other => {}
            }
        }
        chain.remove(&(file, container));
    }

    fn bind_macro(&mut self, m: ModId, name: &str, id: ItemId) {
        self.index.macro_names.entry(id).or_insert_with(|| (m, name.to_string()));
        self.bind(m, name, Def::Macro(id));
    }

    fn bind(&mut self, m: ModId, name: &str, def: Def) {
        if let Some(md) = self.index.modules.get_mut(m as usize) {
            md.names.entry(name.to_string()).or_default().push(def);
        }
    }

    fn module_path(&self, m: ModId) -> String {
        self.index.module_path(m)
    }
}

/// The name a proc macro function defines: `Name` of `#[proc_macro_derive(Name, …)]`, the
/// function's own name under `#[proc_macro_attribute]` or `#[proc_macro]`.
fn proc_macro_name(attrs: &[Attr], fn_name: &str) -> Option<String> {
    attrs.iter().find_map(|a| match a.path.as_slice() {
        [p] if p == "proc_macro_derive" => a.list().first().map(|m| m.path.clone()).filter(|n| !n.is_empty()),
        [p] if p == "proc_macro_attribute" || p == "proc_macro" => Some(fn_name.to_string()),
        _ => None,
    })
}

/// `#[test]`, `#[tokio::test]`, `#[rstest]`, … : an attribute whose last segment is `test`.
pub fn is_test_attr(a: &Attr) -> bool {
    matches!(a.last(), "test" | "rstest" | "quickcheck" | "proptest")
}
