//! Replacing a file whole: a reader, or a crash, sees the old file or the whole new one. The
//! reports' `--out` and the refresh-token file are written this way; the new file is readable
//! by its owner only (tempfile creates it with mode 0600 on Unix).

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

/// Writes `bytes` to `path` so that a reader sees the old file or the whole new one, never a
/// part: a new temporary file in the same directory (the same file system, so the rename is
/// atomic), written and synced, then renamed over `path`. On any failure the temporary file is
/// removed and `path` is untouched.
///
/// Only a regular file is written, or a new one made: a symbolic link at `path` is refused
/// rather than followed or replaced, and so are directories, devices (`/dev/null`, `/dev/full`),
/// FIFOs and sockets. An existing file keeps its permission bits (a 0600 report stays 0600).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_whole(path, bytes, Mode::KeepExisting)
}

/// [`write_atomically`] for a secret: the file is readable by its owner only (mode 0600 on
/// Unix, as tempfile creates it), whatever mode a file it replaces had.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_whole(path, bytes, Mode::OwnerOnly)
}

/// Which permission bits the new file gets.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Those of the file it replaces (a new file: owner only).
    KeepExisting,
    /// Owner only.
    OwnerOnly,
}

fn write_whole(path: &Path, bytes: &[u8], mode: Mode) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let permissions = match fs::symlink_metadata(path) {
        Ok(meta) => {
            let kind = meta.file_type();
            let refuse = |what: &str| {
                Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{what}; --out writes only regular files"),
                ))
            };
            if kind.is_symlink() {
                return refuse("is a symbolic link, which is not followed");
            }
            if kind.is_dir() {
                return refuse("is a directory");
            }
            if !kind.is_file() {
                return refuse("is a device, FIFO or socket, not a regular file");
            }
            (mode == Mode::KeepExisting).then(|| meta.permissions())
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // `.NAME.XXXXXX.tmp`, created new (never an existing file) and removed when dropped, so
    // nothing stays behind on failure.
    let mut file = tempfile::Builder::new()
        .prefix(&format!(".{}.", name.to_string_lossy()))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    file.write_all(bytes)?;
    if let Some(p) = permissions {
        file.as_file().set_permissions(p)?;
    }
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    // Make the rename durable too; not every platform can sync a directory, so best effort.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_cleans_up() {
        let dir = std::env::temp_dir().join(format!("canary-report-unit-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("status.md");
        write_atomically(&path, b"first").unwrap();
        write_atomically(&path, b"second").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "second");
        // A directory in the way: the rename fails, and no temporary file stays behind.
        let blocked = dir.join("blocked");
        fs::create_dir_all(&blocked).unwrap();
        assert!(write_atomically(&blocked, b"x").is_err());
        let mut names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["blocked", "status.md"]);
        assert!(
            write_atomically(Path::new("/"), b"x").is_err(),
            "no file name"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
