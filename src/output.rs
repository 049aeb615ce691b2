//! Output: the one way hotlint writes a file (`--output`, `lock`, baselines, the dependency
//! cache), and its standard output and error streams.
//!
//! Invariants: a file is replaced atomically — its bytes go to a temporary file with a random name
//! created exclusively beside the target (never a predictable name a planted link could redirect),
//! removed on every error and on SIGINT/SIGTERM/SIGHUP, renamed over the target only when that is a
//! regular file or nothing; anything else (`-`, `/dev/stdout`, `/dev/null`, a device, a named pipe)
//! is written directly and never replaced. A symbolic link is written through (the link stays a
//! link), and the target's permissions (and owner, where that can be kept) are kept. Standard
//! output closed by its reader (`| head`) ends the run quietly; any other failure to write it is
//! an error; writing standard error never fails the run, let alone panics.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Write `bytes` to `path` (see the module's invariants). `-` is standard output.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let err = |e: std::io::Error| Error::Write { path: path.display().to_string(), message: e.to_string() };
    match destination(path).map_err(err)? {
        Destination::Stdout => stdout(bytes),
        Destination::Stderr => {
            stderr(bytes);
            Ok(())
        }
        Destination::Direct(target) => {
            let mut file = std::fs::OpenOptions::new().write(true).open(target).map_err(err)?;
            file.write_all(bytes).and_then(|_| file.flush()).map_err(err)
        }
        Destination::Replace(target) => replace(&target, bytes).map_err(err),
    }
}

/// Write to standard output. A reader that went away (`| head`) is not an error: what it did not
/// want is not written, and the run ends with its own exit status. Any other failure (a full disk
/// behind `> file`) is an error.
pub fn stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::Write { path: "<stdout>".into(), message: e.to_string() }),
    }
}

/// Write to standard error, ignoring failures: a diagnostic that cannot be shown must not turn
/// into a panic (and, inside the panic hook, into an abort).
pub fn stderr(bytes: &[u8]) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(bytes).and_then(|_| err.flush());
}

/// One line on standard error (see [`stderr`]).
pub fn stderr_line(line: &str) {
    let mut text = String::with_capacity(line.len() + 1);
    text.push_str(line);
    text.push('\n');
    stderr(text.as_bytes());
}

/// Where the bytes for a path go.
enum Destination {
    Stdout,
    Stderr,
    /// Not a regular file: opened and written as it is (a device, a named pipe).
    Direct(PathBuf),
    /// A regular file, or nothing yet: replaced atomically.
    Replace(PathBuf),
}

/// Links followed at most, as Linux's `ELOOP` limit.
const MAX_LINK_HOPS: usize = 40;

fn destination(path: &Path) -> std::io::Result<Destination> {
    if path == Path::new("-") {
        return Ok(Destination::Stdout);
    }
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINK_HOPS {
        // The process's own streams, however they are named: opening `/proc/self/fd/1` anew would
        // truncate or replace what the shell redirected them to.
        match current.to_str() {
            Some("/dev/stdout" | "/dev/fd/1" | "/proc/self/fd/1") => return Ok(Destination::Stdout),
            Some("/dev/stderr" | "/dev/fd/2" | "/proc/self/fd/2") => return Ok(Destination::Stderr),
            _ => {}
        }
        let meta = match std::fs::symlink_metadata(&current) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Destination::Replace(current)),
            Err(e) => return Err(e),
        };
        if meta.file_type().is_symlink() {
            // Written through: the file the link names is replaced, the link stays.
            let target = std::fs::read_link(&current)?;
            current = match current.parent() {
                Some(dir) if target.is_relative() => dir.join(target),
                _ => target,
            };
            continue;
        }
        if meta.is_dir() {
            return Err(std::io::Error::other("it is a directory"));
        }
        if meta.is_file() {
            return Ok(Destination::Replace(current));
        }
        return Ok(Destination::Direct(current));
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

/// Replace the regular file `target` (or create it) with `bytes`, atomically.
fn replace(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let existing = std::fs::metadata(target).ok();
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".hotlint-tmp");
    #[cfg(unix)]
    {
        // A new file gets what `>` would give it (0666 less the umask); an existing one keeps its
        // mode, set below once the file exists (the umask must not narrow it).
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    let guard = signals::Registered::new(tmp.path());
    if let Some(meta) = &existing {
        keep_mode_and_owner(tmp.as_file(), meta)?;
    }
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    // On failure the temporary file is removed when `tmp` is dropped.
    tmp.persist(target).map_err(|e| e.error)?;
    drop(guard);
    Ok(())
}

#[cfg(unix)]
fn keep_mode_and_owner(file: &std::fs::File, meta: &std::fs::Metadata) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    // The owner only where it can be given (root replacing a user's file); else it is ours.
    let _ = std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid()));
    file.set_permissions(meta.permissions())
}

#[cfg(not(unix))]
fn keep_mode_and_owner(file: &std::fs::File, meta: &std::fs::Metadata) -> std::io::Result<()> {
    file.set_permissions(meta.permissions())
}

/// Signal handling for temporary files: SIGINT, SIGTERM and SIGHUP remove the temporary files
/// being written, then end the process as the signal would have.
pub mod signals {
    #[cfg(unix)]
    use std::sync::atomic::{AtomicPtr, Ordering};

    /// Temporary files being written at once (one per thread writing).
    #[cfg(unix)]
    const SLOTS: usize = 16;

    #[cfg(unix)]
    static PATHS: [AtomicPtr<libc::c_char>; SLOTS] = [const { AtomicPtr::new(std::ptr::null_mut()) }; SLOTS];

    /// Install the handlers (once, at start). A file-size limit reached (`ulimit -f`) is made a
    /// write error (`EFBIG`) like a full disk, instead of a signal that kills mid-write.
    pub fn install() {
        // SAFETY: ignoring a signal is async-signal-safe and has no other effect.
        #[cfg(unix)]
        unsafe {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        }
        #[cfg(unix)]
        for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            // SAFETY: `on_signal` only calls async-signal-safe functions (`unlink`, `signal`,
            // `raise`) and reads atomics; the `sigaction` structure is fully initialised.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_signal as *const () as libc::sighandler_t;
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(signal, &action, std::ptr::null_mut());
            }
        }
    }

    #[cfg(unix)]
    extern "C" fn on_signal(signal: libc::c_int) {
        for slot in &PATHS {
            let path = slot.swap(std::ptr::null_mut(), Ordering::SeqCst);
            if !path.is_null() {
                // SAFETY: the pointer came from `CString::into_raw` and is not freed while
                // registered (the slot was swapped to null before anyone else could free it).
                unsafe {
                    libc::unlink(path);
                }
            }
        }
        // SAFETY: restoring the default action and raising the signal again ends the process
        // with the status a shell expects for it.
        unsafe {
            libc::signal(signal, libc::SIG_DFL);
            libc::raise(signal);
        }
    }

    /// A temporary file registered for removal on a signal, for as long as this lives.
    pub struct Registered {
        #[cfg(unix)]
        slot: Option<usize>,
    }

    impl Registered {
        #[cfg(unix)]
        pub fn new(path: &std::path::Path) -> Registered {
            use std::os::unix::ffi::OsStrExt;
            let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else { return Registered { slot: None } };
            let raw = c.into_raw();
            for (i, slot) in PATHS.iter().enumerate() {
                if slot.compare_exchange(std::ptr::null_mut(), raw, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
                    return Registered { slot: Some(i) };
                }
            }
            // SAFETY: `raw` came from `into_raw` above and was not stored anywhere.
            drop(unsafe { std::ffi::CString::from_raw(raw) });
            Registered { slot: None }
        }

        #[cfg(not(unix))]
        pub fn new(_path: &std::path::Path) -> Registered {
            Registered {}
        }
    }

    impl Drop for Registered {
        fn drop(&mut self) {
            #[cfg(unix)]
            if let Some(slot) = self.slot.and_then(|i| PATHS.get(i)) {
                let raw = slot.swap(std::ptr::null_mut(), Ordering::SeqCst);
                if !raw.is_null() {
                    // SAFETY: the pointer came from `CString::into_raw` in `new`.
                    drop(unsafe { std::ffi::CString::from_raw(raw) });
                }
            }
        }
    }
}
