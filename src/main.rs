//! `cargo-hotlint`: parse arguments, call the library, map the outcome to an exit status.
//! Any residual panic becomes exit status 2 with a short report, never a backtrace dump.

/// Parsing allocates once per identifier and summary; mimalloc makes that markedly cheaper
/// than the system allocator (see benches/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::panic::set_hook(Box::new(|info| {
        let location = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        // Never `eprintln!`: a failing stderr would panic inside the hook, and abort.
        hotlint::output::stderr_line(&format!(
            "error: hotlint hit an internal error{location}; this is a bug in hotlint, please report it with the command you ran.\n  details: {}",
            info.payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default()
        ));
    }));
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let code = std::panic::catch_unwind(|| hotlint::cli::run(args)).unwrap_or(2);
    std::process::exit(code);
}
