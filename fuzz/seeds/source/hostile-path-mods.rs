#[path = "shared.rs"] pub mod a;
#[path = "shared.rs"] pub mod b;
#[path = "../../../../etc/passwd"] pub mod escape;
#[cfg(unix)] #[path = "sys/unix.rs"] mod sys;
mod inline { pub mod deeper; #[path = "x.rs"] pub mod x; }
pub fn f() { mod in_fn; }
